// npm run build: Rust core → WASM (wasm-pack) → Directus bundle (extensions SDK) → dist/, ready to install.
// Installs what is missing first: the wasm32 target, wasm-pack, and the npm dev dependencies.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, env = process.env) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env });
const succeeds = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'ignore' }).status === 0;
const output = (cmd, args) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8' }).stdout ?? '';

export function ensureToolchain() {
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
	copyFileSync(wasm, join(root, 'dist', 'mcp_guard_bg.wasm'));
	console.log(`[mcp-guard] built dist/ (core ${(statSync(wasm).size / 1024).toFixed(0)} KiB of WASM)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
