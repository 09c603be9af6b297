// Loads the Rust/WASM policy core that sits next to this file in dist/.
import { readFileSync } from 'node:fs';
import { initSync, Guard, outcome, filterListing, warmUpSamples } from '../pkg/mcp_guard.js';

const WASM_FILE = 'mcp_guard_bg.wasm';
/** Rounds of the core's sample traffic run when it loads (src/warm_up.rs says why): about 0.1 s, once. */
const WARM_UP_ROUNDS = 150;

/**
 * Runs the core's sample traffic through a guard of its own, through the same exports and glue the guard
 * calls, so that V8 has optimised both before the first real call.
 */
function warmUp(rounds) {
	const samples = warmUpSamples();
	if (samples.error) throw new Error(samples.error.message);
	const { schema, context, messages, answers, collection } = samples.ok;
	const guard = new Guard();
	try {
		for (const loaded of [guard.setSchema(schema), guard.setSettings('{}')]) if (loaded.error) throw new Error(loaded.error.message);
		const answerBytes = answers.map((answer) => Buffer.from(answer, 'utf8'));
		for (let round = 0; round < rounds; round++) {
			for (const message of messages) guard.inspect(message, context, undefined);
			for (const bytes of answerBytes) {
				guard.filterAnswer(bytes, collection, '1');
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
	return { guard: new Guard(), outcome, filterListing };
}
