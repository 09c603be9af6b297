// The guard takes its settings out of each MCP request's own copy of Directus's schema (Directus's per-request
// read of its settings walks every field of directus_settings), and never out of the schema Directus shares
// between requests: with CACHE_SCHEMA_FREEZE_ENABLED, every request is handed that shared schema itself.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { CLIENTS, toolErrors, count, GUARD_SETTINGS_FIELDS } from '../helpers.mjs';

for (const frozen of [false, true]) {
	describe(frozen ? 'with CACHE_SCHEMA_FREEZE_ENABLED (one shared schema)' : 'with a copy of the schema per request (the default)', () => {
		let directus;
		let articleIds;
		before(async () => {
			directus = await startDirectus({ name: `request-schema-${frozen ? 'frozen' : 'copied'}`, env: frozen ? { CACHE_SCHEMA_FREEZE_ENABLED: 'true' } : {} });
			await seed(directus);
			({ articleIds } = await seedRows(directus, 1));
		});
		after(() => directus?.stop());

		for (const [clientName, call] of Object.entries(CLIENTS)) {
			test(`MCP calls (${clientName}) are served and judged, and everything else still sees the guard's settings`, async () => {
				const read = await call(directus, CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { fields: ['id', 'title'] } });
				assert.equal(read.isError, undefined, JSON.stringify(read));
				assert.match(read.content[0].text, /Article 1/);

				const comments = await count(directus, 'comments');
				const [comment] = await directus.api('GET', `/items/comments?filter[article][_eq]=${articleIds[0]}&limit=1`);
				const nestedDelete = await call(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [articleIds[0]], data: { comments: { delete: [comment.id] } } });
				assert.equal(toolErrors(nestedDelete)?.[0]?.rule, 'deletes.disabled', JSON.stringify(nestedDelete));
				assert.equal(await count(directus, 'comments'), comments);

				// Directus's own requests still have every guard setting in their schema: the admin reads them all
				// and saves one, and the guard enforces what was saved on the next call.
				const settings = await directus.api('GET', '/settings');
				assert.deepEqual(GUARD_SETTINGS_FIELDS.filter((field) => !(field in settings)), []);
				await directus.api('PATCH', '/settings', { mcp_guard_max_keys: 2 });
				try {
					assert.equal((await directus.api('GET', '/settings')).mcp_guard_max_keys, 2);
					const wide = await call(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [1, 2, 3], data: { title: 'x' } });
					assert.equal(toolErrors(wide)?.[0]?.rule, 'caps.keys', JSON.stringify(wide));
				} finally {
					await directus.api('PATCH', '/settings', { mcp_guard_max_keys: 100 });
				}
			});
		}
	});
}
