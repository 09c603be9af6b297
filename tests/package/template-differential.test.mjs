// The core's rendering of flow option templates against Directus's own (`applyOptionsData` from the Directus
// runtime), on generated templates and trigger bodies: runs the core's ignored differential test, which
// needs that runtime and Node 22 (src/template_tests.rs, `renders_as_directus_does`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirectus, runtimeDir } from '../../scripts/ensure-directus.mjs';
import { repoRoot } from '../../scripts/lib/directus.mjs';

test('the core renders flow templates as Directus does, or leaves them unknown', () => {
	ensureDirectus();
	assert.ok(existsSync(join(runtimeDir, 'node_modules', '@directus', 'utils')), 'the Directus runtime has @directus/utils');
	const run = spawnSync('cargo', ['test', '--quiet', '--lib', 'template::tests::renders_as_directus_does', '--', '--ignored', '--exact'], {
		cwd: repoRoot,
		env: { ...process.env, MCP_GUARD_DIRECTUS_DIR: runtimeDir },
		encoding: 'utf8',
	});
	assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
	assert.match(run.stdout, /1 passed/, run.stdout);
});
