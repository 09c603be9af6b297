// Writes mcp_guard_log rows. Calls that change data are recorded before they run (write-ahead); everything
// else is queued and written in batches shortly after the answer leaves. A failed write is retried, never
// dropped.
import { randomUUID } from 'node:crypto';
import { readRecord } from './core.js';
import { FAIL_CLOSED } from './fail-closed.js';

/** How long queued rows wait for company: one insert statement per batch keeps the log off the hot path (on
 * SQLite Directus has a single connection, which every request waits for while a batch is written, and each
 * commit syncs to disk). Measured: batching every 250 ms cost reads about 2 points more than every second.
 * Shutdown flushes at once (see flushOnShutdown). */
const BATCH_DELAY_MS = 1000;
/** Rows per insert statement: SQL Server binds at most 2,100 parameters, and knex writes a multi-row insert
 * on SQLite as a compound SELECT, which SQLite limits to 500 terms. */
const ROWS_PER_INSERT = { mssql: 80, default: 400 };
/** And text per insert statement, roughly: MySQL 5.7 refuses statements over 4 MB by default, and a row's
 * arguments alone may take 16 KB. */
const TEXT_PER_INSERT = 1024 * 1024;
/** What a row's fixed-size columns take, about. */
const ROW_BASE_TEXT = 512;

const textOf = (row) => ROW_BASE_TEXT + (row.arguments?.length ?? 0) + (row.effects?.length ?? 0) + (row.findings?.length ?? 0) + (row.reason?.length ?? 0) + (row.user_agent?.length ?? 0);

/** Where the insert statement that starts at `rows[start]` ends: at most `maxRows` rows and, past its first
 * row, at most TEXT_PER_INSERT of text. */
function statementEnd(rows, start, maxRows) {
	let end = start;
	let text = 0;
	while (end < rows.length && end - start < maxRows) {
		text += textOf(rows[end]);
		if (text > TEXT_PER_INSERT && end > start) break;
		end += 1;
	}
	return end;
}
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 30_000;

function toRow(record, timestamp) {
	return {
		id: record.id,
		timestamp,
		decision: record.decision,
		rule: record.rule,
		reason: record.reason,
		outcome: record.outcome ?? 'pending',
		duration_ms: record.duration_ms ?? null,
		user: record.user,
		role: record.role,
		admin: record.admin,
		ip: record.ip,
		user_agent: record.user_agent,
		oauth_client: record.oauth_client,
		tool_mode: record.tool_mode,
		rpc_method: record.rpc_method,
		tool: record.tool,
		inner_tool: record.inner_tool,
		action: record.action,
		collections: record.collections.length > 0 ? record.collections.join(',') : null,
		key_count: record.key_count,
		mutating: record.mutating,
		arguments: record.arguments,
		effects: record.effects.length > 0 ? JSON.stringify(record.effects) : null,
		findings: record.findings ?? null,
	};
}

/** Queued rows are finished when they are written, off the request's path: `outcome` may be a function of
 * the answer. */
function settle(entry) {
	let outcome = entry.outcome;
	if (typeof outcome === 'function') {
		try {
			outcome = outcome();
		} catch (error) {
			outcome = `unknown (${error?.message})`;
		}
	}
	if (!entry.record) return { ...entry, outcome };
	return toRow({ ...recordOf(entry), outcome, duration_ms: entry.duration_ms, findings: entry.findings }, entry.timestamp);
}

/**
 * A record that knows nothing of its call beyond the decision: every other field empty. The guard fills in
 * what it does know for calls the core never judged.
 */
export function blankRecord({ decision, rule, reason }) {
	return {
		id: randomUUID(),
		...Object.fromEntries(['user', 'role', 'ip', 'user_agent', 'oauth_client', 'tool_mode', 'rpc_method', 'tool', 'inner_tool', 'action', 'key_count', 'arguments'].map((field) => [field, null])),
		admin: false,
		collections: [],
		effects: [],
		mutating: false,
		decision,
		rule,
		reason,
	};
}

/** The queued record as an object. One the core could not hand over still gets its row, with what is known:
 * only calls let through that change nothing leave their record in the core. */
function recordOf(entry) {
	try {
		return readRecord(entry.record);
	} catch (error) {
		return blankRecord({ decision: 'allowed', rule: FAIL_CLOSED.internalError.rule, reason: `the guard lost this call's audit record: ${error?.message}` });
	}
}

export function createAuditLog({ database, logger }, collection) {
	const rowsPerInsert = ROWS_PER_INSERT[database.client?.config?.client] ?? ROWS_PER_INSERT.default;
	const inserts = [];
	const updates = new Map();
	let flushing = false;
	let failures = 0;
	let timer = null;

	function schedule(delay = 0) {
		if (timer || flushing) return;
		timer = setTimeout(() => flush().catch((error) => logger.error(`[mcp-guard] audit log flush failed: ${error?.stack ?? error}`)), delay);
		timer.unref?.();
	}

	async function flush() {
		timer = null;
		if (inserts.length === 0 && updates.size === 0) return;
		flushing = true;
		// Outcomes are worked out here, in one batch, rather than on each request's way out: measured inside
		// Directus, working one out in the answer filter's call cost that call more than it costs here, warm.
		const batch = inserts.splice(0, inserts.length).map(settle);
		const pending = [...updates.entries()].map(([id, change]) => [id, settle(change)]);
		updates.clear();
		// Each insert is one statement, committed on its own: a transaction around them would hold the
		// connection through every round trip between them (in Directus, 8 to 28 ms a batch instead of 7 to 11).
		let inserted = 0;
		try {
			while (inserted < batch.length) {
				const end = statementEnd(batch, inserted, rowsPerInsert);
				await database(collection).insert(batch.slice(inserted, end));
				inserted = end;
			}
			if (pending.length > 0) {
				await database.transaction(async (trx) => {
					for (const [id, change] of pending) await trx(collection).where({ id }).update(change);
				});
			}
			failures = 0;
		} catch (error) {
			// Put everything back in order and try again later: rows are evidence, so none is dropped.
			inserts.unshift(...batch.slice(inserted));
			for (const [id, change] of pending) updates.set(id, { ...change, ...updates.get(id) });
			failures += 1;
			// The driver's message quotes the whole statement, arguments included: keep the log to the cause.
			const cause = error?.code ?? String(error?.message).slice(-120);
			logger.error(`[mcp-guard] writing ${batch.length - inserted + pending.length} audit rows failed (attempt ${failures}), retrying: ${cause}`);
		} finally {
			flushing = false;
		}
		if (inserts.length > 0 || updates.size > 0) schedule(failures ? Math.min(RETRY_BASE_MS * 2 ** failures, RETRY_MAX_MS) : BATCH_DELAY_MS);
	}

	return {
		/** Writes what is queued now rather than at the next batch. */
		flushNow() {
			clearTimeout(timer);
			timer = null;
			return flush();
		},
		/** Records a call before it runs. Throws if the row cannot be written: the caller must then refuse. */
		async writeAhead(record, timestamp) {
			await database(collection).insert(toRow(record, timestamp));
		},
		/**
		 * Records the end of a call: updates its write-ahead row, or queues the whole row. `record` is an object,
		 * the core's JSON text of it, or a record the core keeps (core.js, `readRecord`), read when the row is
		 * written. `outcome` is a string, or a function that works it out then.
		 */
		complete(record, timestamp, { outcome, duration_ms, writtenAhead, findings = null }) {
			if (writtenAhead) {
				updates.set(record.id, { outcome, duration_ms, decision: record.decision, rule: record.rule, reason: record.reason, findings });
			} else {
				inserts.push({ record, timestamp, outcome, duration_ms, findings });
			}
			schedule(BATCH_DELAY_MS);
		},
	};
}

const FLUSHERS = Symbol.for('mcp-guard.audit-flushers');

/**
 * Writes queued rows as soon as Directus is told to stop, before it closes its database connections. One
 * process-wide listener per signal, shared by every load of the extension (an older load may still hold rows).
 */
export function flushOnShutdown(log, logger) {
	if (!globalThis[FLUSHERS]) {
		const flushers = (globalThis[FLUSHERS] = new Set());
		for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
			process.once(signal, () => {
				for (const flushNow of flushers) flushNow().catch((error) => logger.error(`[mcp-guard] audit rows not written at shutdown: ${error?.message}`));
			});
		}
	}
	globalThis[FLUSHERS].add(() => log.flushNow());
}
