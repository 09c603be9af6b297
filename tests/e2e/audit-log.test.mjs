// mcp_guard_log: one row per message, written ahead for calls that change data, never dropped, and out of
// MCP's reach.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN, ADMIN_MCP_TOKEN } from '../../scripts/lib/seed.mjs';
import { sdkClient, callViaHttp, callViaSdk, toolErrors, withAudit, auditRows, count, rawRpc, toolCall } from '../helpers.mjs';

let directus;
let ids;
let users;

before(async () => {
	directus = await startDirectus({ name: 'audit-log' });
	users = await seed(directus);
	ids = await seedRows(directus, 3);
});
after(() => directus?.stop());

test('every message of an MCP session gets a row: handshake, listing, calls', async () => {
	const { rows } = await withAudit(
		directus,
		async () => {
			const client = await sdkClient(directus, CONTENT_TOKEN);
			await client.listTools();
			await client.callTool({ name: 'items', arguments: { action: 'read', collection: 'articles' } });
			await client.close();
		},
		{ method: null, expect: 4 },
	);
	const methods = rows.map((r) => r.rpc_method);
	for (const m of ['initialize', 'notifications/initialized', 'tools/list', 'tools/call']) assert.ok(methods.includes(m), `${m} missing from ${methods}`);
	assert.ok(rows.every((r) => r.user === users.contentUserId));
});

test('a row carries who, what, where and how it ended', async () => {
	const { rows } = await withAudit(directus, () =>
		rawRpc(directus, CONTENT_TOKEN, toolCall('execute', { name: 'items', input: { action: 'update', collection: 'articles', keys: [ids.articleIds[0], ids.articleIds[1]], data: { title: 'sk_live_abcdefghijklmnop', comments: { create: [{ body: 'x' }] } } } }), {
			registry: true,
			headers: { 'User-Agent': 'audit-test-agent' },
		}),
	);
	const row = rows[0];
	assert.equal(row.user, users.contentUserId);
	assert.equal(row.role, users.roleId);
	assert.equal(row.admin, false);
	assert.ok(row.ip, 'ip missing');
	assert.equal(row.user_agent, 'audit-test-agent');
	assert.equal(row.tool_mode, 'registry');
	assert.equal(row.tool, 'execute');
	assert.equal(row.inner_tool, 'items');
	assert.equal(row.action, 'update');
	assert.deepEqual([...row.collections].sort(), ['articles', 'comments']);
	assert.equal(row.key_count, 2);
	assert.equal(row.decision, 'allowed');
	assert.equal(row.mutating, true);
	assert.equal(row.outcome, 'ok');
	assert.ok(row.duration_ms > 0);
	assert.ok(!row.arguments.includes('sk_live_abcdefghijklmnop'), row.arguments);
	assert.match(row.arguments, /\[redacted:stripe_key\]/);
	assert.ok(JSON.parse(row.effects).some((e) => e.kind === 'create' && e.collection === 'comments'));
});

test("a row's outcome is the error Directus answered, whether the guard filtered the answer or not", async () => {
	// On, the guard filters the answer before it is summed up; off, it does not.
	for (const enabled of [true, false]) {
		await directus.api('PATCH', '/settings', { mcp_guard_enabled: enabled });
		const { result, rows } = await withAudit(directus, () =>
			callViaHttp(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [ids.articleIds[0]], data: { no_such_field: 1 } }),
		);
		const code = toolErrors(result)?.[0]?.code;
		assert.ok(code, `Directus accepted an update of a field that does not exist: ${JSON.stringify(result)}`);
		assert.equal(rows[0].outcome, `tool-error:${code}`, `guard ${enabled ? 'on' : 'off'}`);
		assert.equal(rows[0].decision, 'allowed');
	}
	await directus.api('PATCH', '/settings', { mcp_guard_enabled: true });
});

test('MCP can neither read nor change the log, even as admin and with the guard off', async () => {
	for (const enabled of [true, false]) {
		await directus.api('PATCH', '/settings', { mcp_guard_enabled: enabled });
		for (const [tool, args] of [
			['items', { action: 'read', collection: 'mcp_guard_log' }],
			['items', { action: 'update', collection: 'mcp_guard_log', data: { decision: 'allowed' } }],
			['collections', { action: 'update', data: [{ collection: 'mcp_guard_log', meta: { hidden: true } }] }],
			['fields', { action: 'delete', collection: 'mcp_guard_log', field: 'reason' }],
		]) {
			const result = await callViaHttp(directus, ADMIN_MCP_TOKEN, tool, args);
			assert.equal(toolErrors(result)?.[0].rule, 'self-protection.guard-collection', `${tool} ${JSON.stringify(args)}: ${JSON.stringify(result)}`);
		}
	}
	await directus.api('PATCH', '/settings', { mcp_guard_enabled: true });
	// Administrators read it in the Data Studio.
	assert.ok((await auditRows(directus)).length > 0);
});

test('with the guard off, calls pass unguarded but are still recorded', async () => {
	await directus.api('PATCH', '/settings', { mcp_guard_enabled: false, mcp_allow_deletes: false });
	try {
		// A nested delete, which stock Directus lets through with Allow Deletes off.
		const article = ids.articleIds[2];
		const comment = (await directus.api('GET', `/items/comments?filter[article][_eq]=${article}`))[0].id;
		const { result, rows } = await withAudit(directus, () =>
			callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [article], data: { comments: { delete: [comment] } } }),
		);
		assert.equal(toolErrors(result), null, JSON.stringify(result));
		assert.equal(await count(directus, 'comments', { id: { _eq: comment } }), 0);
		assert.equal(rows[0].decision, 'allowed');
		assert.equal(rows[0].rule, 'allow.guard-disabled');
	} finally {
		await directus.api('PATCH', '/settings', { mcp_guard_enabled: true });
	}
});

test('a call that changes data runs only once its row is written; other rows wait and are never dropped', async () => {
	// Break the log: its `effects` column disappears, so every insert fails.
	await directus.api('DELETE', '/fields/mcp_guard_log/effects');
	const rowsBefore = (await auditRows(directus)).length;
	try {
		const title = `never written ${Date.now()}`;
		const write = await callViaHttp(directus, CONTENT_TOKEN, 'items', { action: 'create', collection: 'articles', data: { title } });
		assert.equal(toolErrors(write)?.[0].rule, 'audit.write-failed', JSON.stringify(write));
		assert.equal(await count(directus, 'articles', { title: { _eq: title } }), 0, 'the call ran without its audit row');
		// Reads are not held back; their rows queue up.
		const read = await callViaHttp(directus, CONTENT_TOKEN, 'items', { action: 'read', collection: 'tags' });
		assert.equal(toolErrors(read), null);
	} finally {
		await directus.api('POST', '/fields/mcp_guard_log', { field: 'effects', type: 'text', meta: { interface: 'input-code' } });
	}
	// Once the log works again, the queued rows land: the refused write and the read.
	const deadline = Date.now() + 20_000;
	let added = [];
	while (Date.now() < deadline) {
		added = (await auditRows(directus)).slice(rowsBefore);
		if (added.some((r) => r.rule === 'audit.write-failed') && added.some((r) => r.action === 'read' && r.collections?.includes('tags'))) break;
		await new Promise((r) => setTimeout(r, 200));
	}
	const refused = added.find((r) => r.rule === 'audit.write-failed');
	assert.ok(refused, `refused write not logged: ${JSON.stringify(added)}`);
	assert.equal(refused.decision, 'denied');
	assert.ok(added.some((r) => r.action === 'read' && r.collections?.includes('tags')), 'queued read row was dropped');
});

test('rows still queued when Directus is told to stop are written before it exits', async () => {
	const marker = `shutdown-${Date.now()}`;
	await callViaHttp(directus, CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { search: marker } });
	// SIGTERM at once, well before the next batch would be written.
	await directus.stop();
	directus = await startDirectus({ name: 'audit-log', dir: directus.dir, reuse: true });
	const rows = await auditRows(directus);
	assert.ok(rows.some((r) => r.arguments?.includes(marker)), 'the queued row was lost at shutdown');
});
