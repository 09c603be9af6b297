// The guard of one extension load: adapts each /mcp request to the core, carries out its decision, and passes
// the answer through the core on its way out (redaction, injection defence, tool lists).
import { performance } from 'node:perf_hooks';
import { sendRefusal, FAIL_CLOSED, REJECTED_BY_DIRECTUS } from './fail-closed.js';
import { loadFlowGraph, loadFileFolder } from './facts.js';
import { createRequestContext } from './request-context.js';
import { GUARD_SETTINGS_FIELDS } from './settings.js';
import { readRecord } from './core.js';
import { blankRecord } from './audit-log.js';

function callerOf(req) {
	const a = req.accountability ?? {};
	return {
		user: a.user ?? null,
		role: a.role ?? null,
		admin: a.admin === true,
		ip: a.ip ?? req.ip ?? null,
		user_agent: a.userAgent ?? req.get?.('user-agent') ?? null,
		oauth_client: a.oauth?.client_id ?? a.oauth?.client ?? null,
	};
}

// Whether each Accept header seen takes JSON, by Express's own negotiation (which costs more than the
// rest of the guard's JS per call); clients send the same header every time. Bounded, in case they do not.
const acceptsJsonByHeader = new Map();
function acceptsJson(req) {
	const header = req.headers?.accept ?? '';
	let accepts = acceptsJsonByHeader.get(header);
	if (accepts === undefined) {
		accepts = Boolean(req.accepts('application/json'));
		if (acceptsJsonByHeader.size >= 100) acceptsJsonByHeader.clear();
		acceptsJsonByHeader.set(header, accepts);
	}
	return accepts;
}

// Exactly Directus's own test (ai/mcp/server.js), so both sides agree on the mode.
const toolModeOf = (req) => (req.query?.tool_mode === 'registry' ? 'registry' : 'legacy');

/** An audit record for a message the core never judged (it failed, or Directus refused the request first). */
function unjudgedRecord(req, { rule, reason }) {
	const body = req.body;
	const text = (v) => (typeof v === 'string' ? v : null);
	return {
		...blankRecord({ decision: 'denied', rule, reason }),
		...callerOf(req),
		tool_mode: toolModeOf(req),
		rpc_method: text(body?.method),
		tool: text(body?.params?.name),
	};
}

/**
 * A message or an answer, as text or as UTF-8 bytes, as UTF-8 bytes (undefined when there is none). A
 * `Buffer` rather than `TextEncoder` output: Node cuts small ones from a shared pool instead of allocating
 * each, and Express sends a `Buffer` as it is.
 */
const bytesOf = (body) => (body == null ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/** A charset parameter of a Content-Type header. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** Whether the body came as UTF-8, the only charset the core reads (MCP's own; body-parser also reads UTF-16). */
function sentAsUtf8(req) {
	const type = req.headers?.['content-type'];
	if (type === undefined || type === 'application/json') return true;
	const charset = CHARSET.exec(type)?.[1];
	return charset === undefined || /^utf-?8$/i.test(charset);
}

/**
 * The message as UTF-8 JSON bytes for the core. Directus's body parser keeps the bytes it parsed as
 * `req.rawBody`, which spares writing the parsed body out again (measured in place, `JSON.stringify` and the
 * string's copy into the core cost more than the native copy of the bytes). A body in another charset, or a
 * request with no parsed body, is written out from `req.body`, which is what Directus runs.
 */
function messageBytes(req) {
	const raw = req.rawBody;
	if (Buffer.isBuffer(raw) && sentAsUtf8(req)) return raw;
	return bytesOf(JSON.stringify(req.body ?? null));
}

/**
 * The answer's outcome, worked out when its audit row is written, off the request's path. Made out here so
 * that it holds the answer's bytes and nothing else: a function made inside `recordCompletion` would keep
 * that call's whole scope alive until the row is written, and with it the response, the request and the
 * request's copy of the schema, for up to a second per call.
 */
const outcomeLater = (core, status, bytes) => () => core.outcome(status, bytes);

/**
 * Takes the guard's settings out of the request's own copy of Directus's schema, before Directus serves an
 * MCP call. MCP can neither read them (Directus's MCP tools refuse its core collections) nor change them (the
 * core refuses any call that would), so the call loses nothing. Directus's /mcp controller reads its own
 * settings on every request, and that read passes every field of directus_settings through a scan of all
 * relations (`convertWildcards`), even for a query without a wildcard: the guard's columns made every MCP
 * request 50 to 110 µs slower (README, Performance). Only a copy made for this request is changed. With
 * CACHE_SCHEMA_FREEZE_ENABLED, and on the request that loaded the schema, `req.schema` is Directus's shared,
 * frozen cache, whose `fields` objects are not frozen themselves: it must stay whole.
 */
function hideGuardSettings(schema) {
	const settings = schema?.collections?.directus_settings;
	if (!settings?.fields || Object.isFrozen(schema) || Object.isFrozen(settings)) return;
	for (const field of GUARD_SETTINGS_FIELDS) delete settings.fields[field];
}

/** A tool error in place of an answer the guard could not check (fail closed). */
function withheldAnswer(id, message) {
	const { rule, reason, remedy } = FAIL_CLOSED.internalError;
	const error = { error: `MCP Guard withheld this result: ${reason}: ${message}. ${remedy}`, code: 'MCP_GUARD_DENIED', rule, reason: `${reason}: ${message}`, remedy, recoverable: false };
	const safeId = typeof id === 'string' || typeof id === 'number' ? id : null;
	return JSON.stringify({ jsonrpc: '2.0', id: safeId, result: { isError: true, content: [{ type: 'text', text: JSON.stringify([error]) }] } });
}

/** A JSON-RPC error in place of a list the guard could not filter: it must not offer tools it forbids. */
function unfilterableListing(text, message) {
	let id = null;
	try {
		id = JSON.parse(text)?.id ?? null;
	} catch {
		// The answer was not JSON; it has no id to echo.
	}
	return JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32603, message: `MCP Guard could not filter the tool list: ${message}` } });
}

export function createGuard({ core, settings, flows, audit, schema, database, clock, logger }) {
	// Marks what Directus does while serving a mutating MCP call, for the delete tripwire.
	const requestContext = createRequestContext();

	/**
	 * The context the core judges a message in: tool mode, caller, the caller's local time, and when the
	 * message arrived (the audit record's id starts with it).
	 */
	function contextOf(req, caller = callerOf(req), receivedAt = Date.now()) {
		const zone = settings.timeZone();
		return {
			tool_mode: toolModeOf(req),
			caller,
			accepts_json: acceptsJson(req),
			local_time: zone ? clock.localTime(zone) : null,
			received_ms: receivedAt,
		};
	}

	/** Judges a message, given as UTF-8 JSON bytes, in its context. */
	async function judge(bytes, context) {
		let answer = core.inspect(bytes, context, undefined);
		// The core asks for what only the database knows, then judges again with it.
		if (answer.ok?.needs === 'flows') answer = core.inspect(bytes, context, JSON.stringify({ flows: await loadFlowGraph(database) }));
		else if (answer.ok?.needs === 'file') answer = core.inspect(bytes, context, JSON.stringify({ file: await loadFileFolder(database, answer.ok.id) }));
		if (answer.error) throw new Error(`${answer.error.kind}: ${answer.error.message}`);
		if (answer.ok?.needs) throw new Error(`the core still needs ${answer.ok.needs} after it was loaded`);
		return answer.ok;
	}

	/** Captures the answer Directus (or the guard) sends, and completes the audit row when it has left. */
	function recordCompletion(res, record, { timestamp, started, writtenAhead, store, hideTools, answerFilter }) {
		let body = null;
		let findings = null;
		const json = res.json.bind(res);
		res.json = (value) => {
			// What is sent: JSON text, or a Buffer of UTF-8 bytes when the answer filter read it.
			let sent;
			try {
				let text = JSON.stringify(value);
				if (text === undefined) return json(value);
				if (hideTools?.length > 0) {
					const filtered = core.filterListing(text, JSON.stringify(hideTools));
					text = filtered.ok ?? unfilterableListing(text, filtered.error?.message);
				}
				sent = text;
				if (answerFilter) ({ body: sent, findings } = filterAnswer(text, answerFilter));
			} catch (error) {
				// An answer that cannot even be serialised (e.g. nested too deep) is withheld, never sent raw.
				logger.error(`[mcp-guard] could not check an answer, withholding it: ${error?.message}`);
				sent = withheldAnswer(value?.id, error?.message);
				findings = JSON.stringify({ withheld: String(error?.message) });
			}
			body = sent;
			if (!res.get('Content-Type')) res.set('Content-Type', 'application/json; charset=utf-8');
			return res.send(sent);
		};
		res.once('close', () => {
			const status = res.statusCode;
			const outcome = res.writableFinished ? outcomeLater(core, status, bytesOf(body)) : 'aborted';
			const tripped = store?.tripped;
			const final = tripped
				? { ...record, decision: 'denied', rule: tripped.rule, reason: `${tripped.reason} (stopped inside Directus by the delete tripwire)` }
				: record;
			audit.complete(final, timestamp, { outcome, duration_ms: performance.now() - started, writtenAhead, findings });
		});
	}

	/**
	 * Redaction and injection defence on the way out: the answer to send is a `Buffer` of UTF-8 bytes, as they
	 * came or the core's in their place. Whatever the core cannot check is replaced by its tool error; if the
	 * core itself fails, by the guard's own: an answer is never sent unchecked.
	 */
	function filterAnswer(text, { collection, requestId }) {
		const bytes = bytesOf(text);
		const answer = core.filterAnswer(bytes, collection ?? undefined, JSON.stringify(requestId ?? null));
		const rewritten = answer.ok?.bytes;
		if (rewritten) return { body: rewritten, findings: answer.ok.findings };
		if (answer.ok) return { body: bytes, findings: answer.ok.findings };
		logger.error(`[mcp-guard] could not filter an answer, withholding it: ${answer.error?.message}`);
		return { body: withheldAnswer(requestId, answer.error?.message), findings: JSON.stringify({ withheld: answer.error?.message ?? 'unknown' }) };
	}

	/**
	 * Reads the settings and the schema facts again once this answer has left, when they will soon be too
	 * old: the call that finds them too old waits for the read, which under steady traffic then never happens.
	 */
	function refreshAfter(req, res) {
		const syncSchema = schema.syncAhead(req.schema);
		const readSettings = settings.refreshAhead();
		const readFlows = flows.refreshAhead();
		if (syncSchema) res.once('close', syncSchema);
		if (readSettings) res.once('close', readSettings);
		if (readFlows) res.once('close', readFlows);
	}

	return {
		requestContext,

		async handle(req, res, next) {
			const started = performance.now();
			const timestamp = new Date();
			let judgement;
			try {
				const synced = schema.sync(req.schema);
				if (synced.error) throw new Error(`schema facts refused (${synced.error.message})`);
				await Promise.all([settings.refresh(), flows.refresh()]);
				refreshAfter(req, res);
				// The record's id and its row's timestamp tell the same time.
				judgement = await judge(messageBytes(req), contextOf(req, callerOf(req), timestamp.getTime()));
			} catch (error) {
				logger.error(`[mcp-guard] could not judge a /mcp message, refusing it: ${error?.stack ?? error}`);
				const record = unjudgedRecord(req, { ...FAIL_CLOSED.internalError, reason: `${FAIL_CLOSED.internalError.reason}: ${error?.message}` });
				recordCompletion(res, record, { timestamp, started, writtenAhead: false });
				return sendRefusal(res, req.body, FAIL_CLOSED.internalError, error?.message);
			}

			// `judgement.audit` is the record as JSON text, or kept by the core: read only where its fields are needed.
			if (!judgement.allowed) {
				recordCompletion(res, judgement.audit, { timestamp, started, writtenAhead: false });
				res.status(judgement.status);
				return judgement.response ? res.json(judgement.response) : res.send();
			}

			const answerFilter = judgement.filter_answer ? { collection: judgement.answer_collection, requestId: req.body?.id } : null;
			if (!judgement.mutating) {
				recordCompletion(res, judgement.audit, { timestamp, started, writtenAhead: false, hideTools: judgement.hide_tools, answerFilter });
				hideGuardSettings(req.schema);
				return next();
			}
			const record = readRecord(judgement.audit);
			try {
				await audit.writeAhead(record, timestamp);
			} catch (error) {
				logger.error(`[mcp-guard] audit write failed, refusing the call: ${error?.message}`);
				const refused = { ...record, decision: 'denied', rule: FAIL_CLOSED.auditWriteFailed.rule, reason: `${FAIL_CLOSED.auditWriteFailed.reason}: ${error?.message}` };
				recordCompletion(res, refused, { timestamp, started, writtenAhead: false });
				return sendRefusal(res, req.body, FAIL_CLOSED.auditWriteFailed, error?.message);
			}
			const store = { tripped: null };
			recordCompletion(res, record, { timestamp, started, writtenAhead: true, store, answerFilter });
			hideGuardSettings(req.schema);
			const done = requestContext.run(store, next);
			res.once('close', done);
		},

		/** Audit row for a request Directus refused before it reached /mcp (bad JSON, bad credentials, …). */
		recordRejected(req, error) {
			const status = error?.status ?? 500;
			const record = unjudgedRecord(req, { rule: REJECTED_BY_DIRECTUS.rule, reason: error?.message ?? String(error) });
			const outcome = error?.code ? `http-${status}:${error.code}` : `http-${status}`;
			audit.complete(record, new Date(), { outcome, duration_ms: null, writtenAhead: false });
		},

		/**
		 * What the guard would decide for `message` sent by `caller`, without running or recording it (the
		 * admin dry-run endpoint). `req` is the admin's request, for the Accept header and the tool mode.
		 */
		async dryRun(req, message, caller, toolMode) {
			const synced = schema.sync(req.schema);
			if (synced.error) throw new Error(`schema facts refused (${synced.error.message})`);
			await Promise.all([settings.refresh(), flows.refresh()]);
			const judgement = await judge(bytesOf(JSON.stringify(message ?? null)), { ...contextOf(req, caller), tool_mode: toolMode, accepts_json: true });
			const record = readRecord(judgement.audit);
			return {
				decision: judgement.allowed ? 'allowed' : 'denied',
				// From the record: a judgement in short form carries no rule or reason of its own.
				rule: record.rule,
				reason: record.reason,
				remedy: judgement.remedy || null,
				collections: record.collections,
				effects: record.effects,
				hidden_tools: judgement.hide_tools ?? [],
			};
		},

		/** The second layer's question to the core, for a delete seen inside an MCP request. */
		judgeDelete(collection, keyCount, deletedBefore = 0) {
			const answer = core.guard.judgeDeleteEvent(collection, keyCount, deletedBefore);
			if (answer.error) return { allowed: false, ...FAIL_CLOSED.internalError, reason: `${FAIL_CLOSED.internalError.reason}: ${answer.error.message}` };
			return answer.ok;
		},
	};
}
