// npm run build: Rust core → WASM (wasm-pack) → Directus bundle (extensions SDK) → dist/, ready to install.
// Installs what is missing first: the wasm32 target, wasm-pack, and the npm dev dependencies.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, env = process.env) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env });
const succeeds = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'ignore' }).status === 0;
const output = (cmd, args) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8' }).stdout ?? '';

/** Tools the build needs, each with what to install when it is missing. */
const PREREQUISITES = [
	['cargo', ['--version'], 'install Rust from https://rustup.rs (it brings cargo and rustup)'],
	['rustup', ['--version'], 'install Rust from https://rustup.rs (it brings cargo and rustup)'],
	['npm', ['--version'], 'install Node.js 20 or newer, which brings npm'],
];

/** Stops with one line naming what to install, instead of a stack trace from a missing command. */
export function checkPrerequisites() {
	for (const [command, args, install] of PREREQUISITES) {
		if (spawnSync(command, args, { stdio: 'ignore' }).error) {
			console.error(`[mcp-guard] ${command} is missing: ${install}, then run this again.`);
			process.exit(1);
		}
	}
}

/**
 * Drops the `name` custom section (function names, only read by debuggers) from a WASM module. Cargo's
 * `strip` would drop it too, but it also drops the `target_features` section that wasm-bindgen reads.
 */
export function stripNames(bytes) {
	const readLeb = (at) => {
		let value = 0;
		let shift = 0;
		let i = at;
		for (;;) {
			const byte = bytes[i++];
			value += (byte & 0x7f) * 2 ** shift;
			shift += 7;
			if (byte < 0x80) return [value, i];
		}
	};
	const kept = [bytes.subarray(0, 8)];
	let at = 8;
	while (at < bytes.length) {
		const [size, body] = readLeb(at + 1);
		const end = body + size;
		let drop = false;
		if (bytes[at] === 0) {
			const [nameLength, name] = readLeb(body);
			drop = Buffer.from(bytes.subarray(name, name + nameLength)).toString('utf8') === 'name';
		}
		if (!drop) kept.push(bytes.subarray(at, end));
		at = end;
	}
	return Buffer.concat(kept);
}

export function ensureToolchain() {
	checkPrerequisites();
	if (!output('rustup', ['target', 'list', '--installed']).includes('wasm32-unknown-unknown')) {
		run('rustup', ['target', 'add', 'wasm32-unknown-unknown']);
	}
	if (!succeeds('wasm-pack', ['--version'])) run('cargo', ['install', 'wasm-pack', '--locked']);
	if (!existsSync(join(root, 'node_modules', '.bin', 'directus-extension'))) {
		run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
	}
}

export function build() {
	ensureToolchain();
	run('wasm-pack', ['build', '--target', 'web', '--release', '--no-pack', '--out-dir', 'pkg', '--out-name', 'mcp_guard']);
	const wasm = join(root, 'pkg', 'mcp_guard_bg.wasm');
	// wasm-pack's own wasm-opt download is unreachable here; Debian's binaryen is used when present.
	if (succeeds('wasm-opt', ['--version'])) run('wasm-opt', ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', wasm, '-o', wasm]);
	rmSync(join(root, 'dist'), { recursive: true, force: true });
	run(join(root, 'node_modules', '.bin', 'directus-extension'), ['build', '--no-minify']);
	writeFileSync(join(root, 'dist', 'mcp_guard_bg.wasm'), stripNames(readFileSync(wasm)));
	console.log(`[mcp-guard] built dist/ (core ${(statSync(join(root, 'dist', 'mcp_guard_bg.wasm')).size / 1024).toFixed(0)} KiB of WASM)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
