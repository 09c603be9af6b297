// npm test: everything, from a clean clone. Installs what is missing on the way (wasm target, wasm-pack,
// npm dev dependencies, the pinned Directus runtime, Debian's Chromium for the browser test and the sqlite3
// command, with which one test writes what Directus itself cannot store).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, checkPrerequisites } from './build.mjs';
import { ensureDirectus } from './ensure-directus.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

/** Debian packages the tests drive, installed when their command is missing. */
function ensureDebianPackages() {
	const missing = [
		['/usr/bin/chromium', 'chromium'],
		['/usr/bin/sqlite3', 'sqlite3'],
	].filter(([command]) => !existsSync(command));
	if (missing.length === 0) return;
	console.log(`[mcp-guard] installing ${missing.map(([, pkg]) => pkg).join(' and ')} from Debian for the tests`);
	run('apt-get', ['update', '-qq']);
	run('apt-get', ['install', '-y', '-qq', ...missing.map(([, pkg]) => pkg)]);
}

const testFiles = (dir) =>
	readdirSync(join(root, dir))
		.filter((f) => f.endsWith('.test.mjs'))
		.sort()
		.map((f) => join(dir, f));

checkPrerequisites();
run('cargo', ['test', '--quiet']);
build();
ensureDirectus();
ensureDebianPackages();
// Each run leaves its Directus folders in tests/.runs for a look afterwards; the previous run's go now.
rmSync(join(root, 'tests', '.runs'), { recursive: true, force: true });
// One Directus at a time: the machines have two cores.
run(process.execPath, ['--test', '--test-concurrency=1', ...testFiles('tests/package'), ...testFiles('tests/e2e')]);
