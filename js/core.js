// Loads the Rust/WASM policy core that sits next to this file in dist/.
import { readFileSync } from 'node:fs';
import { initSync, Guard, outcome, filterListing, warmUpSamples } from '../pkg/mcp_guard.js';

const WASM_FILE = 'mcp_guard_bg.wasm';
/** Rounds of the core's sample traffic run when it loads (src/warm_up.rs says why): about 0.1 s, once. */
const WARM_UP_ROUNDS = 150;

const SHORT_FORM = '='.charCodeAt(0);
const FILTERED = '1'.charCodeAt(0);
const KEPT = '#'.charCodeAt(0);

/**
 * An audit record the core keeps until its row is written (`takeRecord` in src/wasm.rs): a call let through
 * that changes nothing has its record written out in the audit batch, off the request's path.
 */
class KeptRecord {
	constructor(guard, number) {
		this.guard = guard;
		this.number = number;
	}

	/** The record as an object. The core forgets it: take it once. */
	take() {
		const answer = JSON.parse(this.guard.takeRecord(this.number));
		if (answer.error) throw new Error(`${answer.error.kind}: ${answer.error.message}`);
		return answer.ok;
	}
}

/** An audit record as an object, whether it came as the core's JSON text, is kept by the core, or is one. */
export function readRecord(record) {
	if (typeof record === 'string') return JSON.parse(record);
	return record instanceof KeptRecord ? record.take() : record;
}

/**
 * The core's judgement of a message: its JSON answer, then, for a judgement, a newline and the audit record's
 * JSON (src/wasm.rs says why it crosses as text). The record stays text (`ok.audit`) until its row is written.
 * A call let through that changes nothing comes in short form instead of JSON (`Judgement::short_form` in
 * src/inspect.rs): `=`, whether the answer is filtered, and the answer's collection; its record stays in the
 * core (`ok.audit` is then a `KeptRecord`).
 */
function readJudgement(guard, text) {
	const cut = text.indexOf('\n');
	if (cut < 0) return JSON.parse(text);
	const audit = text.charCodeAt(cut + 1) === KEPT ? new KeptRecord(guard, Number(text.slice(cut + 2))) : text.slice(cut + 1);
	if (text.charCodeAt(0) === SHORT_FORM) {
		const collection = cut > 2 ? text.slice(2, cut) : undefined;
		return { ok: { allowed: true, status: 200, mutating: false, filter_answer: text.charCodeAt(1) === FILTERED, answer_collection: collection, audit } };
	}
	const answer = JSON.parse(text.slice(0, cut));
	if (answer.ok) answer.ok.audit = audit;
	return answer;
}

/** What the answer filter says when an answer goes out as it came, with nothing to record. */
const PASSED = Object.freeze({ ok: Object.freeze({ bytes: null, findings: null }) });

/**
 * The answer filter's bytes: none when the answer passes as it came; else a JSON header and, when the
 * answer was rewritten, a newline and the UTF-8 answer to send instead (`ok.bytes`, a `Buffer`, which
 * Express sends as it is).
 */
function readFiltered(out) {
	if (out.length === 0) return PASSED;
	const cut = out.indexOf(0x0a);
	const header = JSON.parse(Buffer.from(out.buffer, out.byteOffset, cut < 0 ? out.length : cut).toString('utf8'));
	if (!header.ok) return header;
	// A rewritten answer without its bytes must not let the original out: it is an error, so the guard withholds.
	if (header.ok.rewritten && cut < 0) return { error: { kind: 'answer', message: 'the rewritten answer was missing from the core\'s reply' } };
	header.ok.bytes = header.ok.rewritten ? Buffer.from(out.buffer, out.byteOffset + cut + 1, out.length - cut - 1) : null;
	return header;
}

/** Whether two objects have the same members, compared with `===`. */
function sameMembers(a, b) {
	let members = 0;
	for (const key in a) {
		if (a[key] !== b[key]) return false;
		members += 1;
	}
	for (const _ in b) members -= 1;
	return members === 0;
}

const MINUTES_PER_DAY = 24 * 60;
/** Out of the week's range: the core refuses it rather than read a wrong time. */
const NOT_A_MINUTE = 0xffff;

/** The caller's local time as the core takes it: minutes since Monday 00:00. */
function minuteOfWeek(localTime) {
	if (localTime == null) return undefined;
	const minute = localTime.weekday * MINUTES_PER_DAY + localTime.minute;
	return Number.isInteger(minute) && minute >= 0 && minute < 7 * MINUTES_PER_DAY ? minute : NOT_A_MINUTE;
}

/** The two calls on every request's path, with the core's replies read into `{ok}` or `{error}`. */
export function requestCalls(guard) {
	// What a client calls in (tool mode, caller, Accept) stays the same call after call: its JSON is written
	// again only when it changes, and the core keeps what it read from the last (src/wasm.rs).
	let callerContext = null;
	let callerContextJson = '';
	function callerContextText({ tool_mode, caller, accepts_json }) {
		const same = callerContext !== null && tool_mode === callerContext.tool_mode && accepts_json === callerContext.accepts_json && sameMembers(caller, callerContext.caller);
		if (!same) {
			callerContext = { tool_mode, caller: { ...caller }, accepts_json };
			callerContextJson = JSON.stringify(callerContext);
		}
		return callerContextJson;
	}
	return {
		/**
		 * `{ok: judgement}` (its `audit` as JSON text or a `KeptRecord`, see `readRecord`), `{ok: {needs}}` or
		 * `{error}`. `body`: the message's UTF-8 JSON bytes; `context`: `{tool_mode, caller, accepts_json,
		 * received_ms, local_time}`.
		 */
		inspect: (body, context, facts) =>
			readJudgement(guard, guard.inspect(body, callerContextText(context), context.received_ms, minuteOfWeek(context.local_time), facts)),
		/** `{ok: {bytes, findings}}` (`bytes`: the UTF-8 answer to send instead, or null) or `{error}`. */
		filterAnswer: (bytes, collection, requestId) => readFiltered(guard.filterAnswer(bytes, collection, requestId)),
	};
}

/**
 * Runs the core's sample traffic through a guard of its own, through the same exports and glue the guard
 * calls, so that V8 has optimised both before the first real call.
 */
function warmUp(rounds) {
	const samples = warmUpSamples();
	if (samples.error) throw new Error(samples.error.message);
	const { schema, messages, answers, collection } = samples.ok;
	const context = JSON.parse(samples.ok.context);
	const guard = new Guard();
	try {
		for (const loaded of [guard.setSchema(schema), guard.setSettings('{}'), guard.setFlows('{}')]) if (loaded.error) throw new Error(loaded.error.message);
		const [messageBytes, answerBytes] = [messages, answers].map((texts) => texts.map((text) => Buffer.from(text, 'utf8')));
		const calls = requestCalls(guard);
		for (let round = 0; round < rounds; round++) {
			for (const message of messageBytes) readRecord(calls.inspect(message, context, undefined).ok?.audit);
			for (const bytes of answerBytes) {
				calls.filterAnswer(bytes, collection, '1');
				outcome(200, bytes);
			}
		}
	} finally {
		guard.free();
	}
}

/** Compiles the core synchronously, so the extension either loads with a working guard or fails to load. */
export function loadCore(logger) {
	initSync({ module: readFileSync(new URL(`./${WASM_FILE}`, import.meta.url)) });
	try {
		warmUp(WARM_UP_ROUNDS);
	} catch (error) {
		// Only speed depends on it: the guard works the same without it.
		logger.warn(`[mcp-guard] the core's warm-up failed (${error?.message}); its first calls will be slower`);
	}
	const guard = new Guard();
	return { guard, ...requestCalls(guard), outcome, filterListing };
}
