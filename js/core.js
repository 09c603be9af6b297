// Loads the Rust/WASM policy core that sits next to this file in dist/.
import { readFileSync } from 'node:fs';
import { initSync, Guard, outcome, filterListing } from '../pkg/mcp_guard.js';

const WASM_FILE = 'mcp_guard_bg.wasm';

/** Compiles the core synchronously, so the extension either loads with a working guard or fails to load. */
export function loadCore() {
	initSync({ module: readFileSync(new URL(`./${WASM_FILE}`, import.meta.url)) });
	return { guard: new Guard(), outcome, filterListing };
}
