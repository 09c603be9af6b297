// The first run explains itself: on a machine without Rust, `npm test`, `npm start` and `npm run build` stop
// with one line that says what to install, not a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

for (const script of ['scripts/build.mjs', 'scripts/test.mjs', 'scripts/demo.mjs']) {
	test(`${script} without Rust prints one line naming what to install, and exits non-zero`, () => {
		// Only the directory of this Node on the PATH: no cargo, no rustup.
		const run = spawnSync(process.execPath, [join(root, script)], {
			cwd: root,
			env: { PATH: dirname(process.execPath), HOME: '/nonexistent' },
			encoding: 'utf8',
		});
		assert.notEqual(run.status, 0);
		const lines = run.stderr.trim().split('\n');
		assert.equal(lines.length, 1, run.stderr);
		assert.match(lines[0], /cargo is missing: install Rust from https:\/\/rustup\.rs/);
	});
}
