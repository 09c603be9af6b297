// Disabling or reloading the extension never leaves a stale or missing guard: the trampoline mounted in
// front of /mcp finds no live guard and refuses, and a reloaded guard takes over at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { rawRpc, toolCall, toolErrors, count } from '../helpers.mjs';

let directus;
let articleIds;

before(async () => {
	directus = await startDirectus({ name: 'lifecycle' });
	await seed(directus);
	({ articleIds } = await seedRows(directus, 1));
});
after(() => directus?.stop());

async function guardExtension() {
	const extensions = await directus.api('GET', '/extensions');
	return extensions.find((e) => e.schema?.name === 'directus-extension-mcp-guard');
}

/** Extension reloads run in the background; on a loaded machine one can take several seconds. */
async function until(predicate, what) {
	const deadline = Date.now() + 45_000;
	for (;;) {
		const value = await predicate();
		if (value) return value;
		if (Date.now() > deadline) {
			const extensionLog = directus.log.split('\n').filter((l) => /xtension|mcp-guard|ERROR/.test(l)).slice(-20).join('\n');
			throw new Error(`timed out waiting for ${what}; last answer: ${(await read()).text.slice(0, 200)}\n${extensionLog}`);
		}
		await new Promise((r) => setTimeout(r, 200));
	}
}

const read = () => rawRpc(directus, CONTENT_TOKEN, toolCall('items', { action: 'read', collection: 'articles' }));
const del = () => rawRpc(directus, CONTENT_TOKEN, toolCall('items', { action: 'delete', collection: 'articles', keys: [articleIds[0]] }));

test('disabled: /mcp fails closed; enabled again: the new guard judges', async () => {
	const extension = await guardExtension();
	assert.ok(extension, 'MCP Guard is not installed');
	assert.equal(toolErrors((await del()).json.result)?.[0].rule, 'deletes.disabled');

	await directus.api('PATCH', `/extensions/${extension.id}`, { meta: { enabled: false } });
	const refused = await until(async () => {
		const { json } = await del();
		return toolErrors(json?.result)?.[0].rule === 'guard.not-loaded' ? json : null;
	}, 'the fail-closed refusal');
	assert.match(toolErrors(refused.result)[0].error, /not loaded/);
	assert.equal(toolErrors((await read()).json.result)?.[0].rule, 'guard.not-loaded', 'reads must be refused too');
	assert.equal(await count(directus, 'articles', { id: { _eq: articleIds[0] } }), 1);

	// Directus drops a reload asked for while another is still running, so the enable is repeated until
	// it takes.
	await until(async () => {
		await directus.api('PATCH', `/extensions/${extension.id}`, { meta: { enabled: true } });
		await new Promise((r) => setTimeout(r, 300));
		return toolErrors((await read()).json.result) === null;
	}, 'the reloaded guard');
	assert.equal(toolErrors((await del()).json.result)?.[0].rule, 'deletes.disabled');
	assert.equal(await count(directus, 'articles', { id: { _eq: articleIds[0] } }), 1);
});
