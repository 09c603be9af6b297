// The guard stays out of the way of ordinary work: reads, plain updates, nested creates, schema and registry
// search pass whether Allow Deletes is on or off, for the content user and for an admin MCP user an
// administrator has let in.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN, ADMIN_MCP_TOKEN } from '../../scripts/lib/seed.mjs';
import { CLIENTS, toolErrors, withAudit, count } from '../helpers.mjs';

let directus;
let articleIds;

before(async () => {
	directus = await startDirectus({ name: 'legitimate' });
	await seed(directus);
	({ articleIds } = await seedRows(directus, 2));
});
after(() => directus?.stop());

const LEGITIMATE = {
	'items read': () => ({ tool: 'items', args: { action: 'read', collection: 'articles', query: { fields: ['id', 'title', 'comments.body'] } } }),
	'plain update': () => ({ tool: 'items', args: { action: 'update', collection: 'articles', keys: [articleIds[0]], data: { title: `edited ${Date.now()}` } } }),
	'nested create (detailed form)': () => ({
		tool: 'items',
		args: { action: 'update', collection: 'articles', keys: [articleIds[1]], data: { comments: { create: [{ body: 'added' }] } } },
	}),
	'create with nested O2M and M2M rows': () => ({
		tool: 'items',
		args: { action: 'create', collection: 'articles', data: { title: 'new', comments: [{ body: 'c' }], tags: [{ tags_id: { name: 'fresh' } }] } },
	}),
	schema: () => ({ tool: 'schema', args: { keys: ['articles'] } }),
	'registry search': () => ({ tool: 'search', registry: true, args: { query: 'items' } }),
	'registry execute → items read': () => ({ tool: 'execute', registry: true, args: { name: 'items', input: { action: 'read', collection: 'comments' } } }),
};

for (const deletesOn of [false, true]) {
	describe(`Allow Deletes ${deletesOn ? 'on' : 'off'}`, () => {
		before(() => directus.api('PATCH', '/settings', { mcp_allow_deletes: deletesOn }));
		for (const [name, makeCase] of Object.entries(LEGITIMATE)) {
			for (const [clientName, call] of Object.entries(CLIENTS)) {
				test(`${name} passes via ${clientName}`, async () => {
					const c = makeCase();
					const commentsBefore = await count(directus, 'comments');
					const { result, rows } = await withAudit(directus, () => call(directus, CONTENT_TOKEN, c.tool, c.args, { registry: c.registry }));
					assert.equal(toolErrors(result), null, JSON.stringify(result));
					assert.ok(result.content.length > 0 || result.structuredContent, 'empty result');
					assert.ok((await count(directus, 'comments')) >= commentsBefore, 'a legitimate call lost comments');
					assert.equal(rows[0].decision, 'allowed');
					assert.match(rows[0].rule, /^allow\./);
					assert.equal(rows[0].outcome, 'ok');
					assert.equal(rows[0].user !== null, true);
				});
			}
		}
	});
}

test('an admin MCP user allowed in developer mode can read fields (admin-only tools pass the guard)', async () => {
	await directus.api('PATCH', '/settings', { mcp_guard_allow_admin: true, mcp_guard_default_mode: 'developer' });
	try {
		const { result, rows } = await withAudit(directus, () => CLIENTS.sdk(directus, ADMIN_MCP_TOKEN, 'fields', { action: 'read', collection: 'articles' }));
		assert.equal(toolErrors(result), null, JSON.stringify(result));
		assert.equal(rows[0].admin, true);
		assert.deepEqual(rows[0].collections, ['articles']);
	} finally {
		await directus.api('PATCH', '/settings', { mcp_guard_allow_admin: false, mcp_guard_default_mode: 'content' });
	}
});

test('tools/list through the guard lists Directus tools', async () => {
	const { sdkClient } = await import('../helpers.mjs');
	const client = await sdkClient(directus, CONTENT_TOKEN);
	try {
		const { tools } = await client.listTools();
		assert.ok(tools.some((t) => t.name === 'items'));
	} finally {
		await client.close();
	}
});
