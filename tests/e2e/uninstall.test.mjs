// `directus mcp-guard uninstall` removes the guard's fields from Settings → AI and keeps the evidence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus } from '../../scripts/lib/directus.mjs';

let directus;
before(async () => {
	directus = await startDirectus({ name: 'uninstall' });
});
after(() => directus?.stop());

const settingsFields = async () => (await directus.api('GET', '/fields/directus_settings')).map((f) => f.field);

test('the fields exist after start, and the uninstall command removes them but not the log', async () => {
	const fields = await settingsFields();
	assert.ok(fields.includes('mcp_guard_enabled') && fields.includes('mcp_guard_divider'));
	const mcpGuardEnabled = (await directus.api('GET', '/fields/directus_settings/mcp_guard_enabled')).meta;
	assert.equal(mcpGuardEnabled.group, 'mcp_group', 'not on Settings → AI');

	await directus.cli('mcp-guard', 'uninstall');
	// The CLI is another process: the running server learns of the schema change when its cache is cleared.
	await directus.api('POST', '/utils/cache/clear?system');

	const after = await settingsFields();
	assert.ok(!after.includes('mcp_guard_enabled') && !after.includes('mcp_guard_divider'), after.join(', '));
	assert.ok((await directus.api('GET', '/collections')).some((c) => c.collection === 'mcp_guard_log'));
});
