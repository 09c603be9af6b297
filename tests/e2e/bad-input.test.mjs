// Bad input gets a clear error, Directus keeps serving, nothing runs that should not, and every request
// leaves an audit row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { rawRpc, toolCall, toolErrors, withAudit, count, callViaHttp } from '../helpers.mjs';

let directus;
let articleIds;

before(async () => {
	directus = await startDirectus({ name: 'bad-input' });
	await seed(directus);
	({ articleIds } = await seedRows(directus, 2));
});
after(() => directus?.stop());

async function stillServing() {
	const result = await callViaHttp(directus, CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles' });
	assert.equal(toolErrors(result), null);
	assert.equal(directus.exited, null, 'Directus exited');
}

test('unparseable JSON is refused by Directus and still recorded', async () => {
	const { result, rows } = await withAudit(directus, () => rawRpc(directus, CONTENT_TOKEN, '{"jsonrpc": "2.0", "id": 1, "method": '), { method: null });
	assert.equal(result.status, 400);
	assert.match(result.text, /JSON|Unexpected|payload/i);
	assert.equal(rows[0].rule, 'request.rejected-by-directus');
	assert.match(rows[0].outcome, /^http-400/);
	await stillServing();
});

for (const [name, body, pattern] of [
	['a JSON-RPC batch', [toolCall('items', { action: 'delete', collection: 'articles', keys: [1] })], /batches are not supported/],
	['a message without jsonrpc 2.0', { id: 1, method: 'tools/call', params: { name: 'items', arguments: {} } }, /"jsonrpc" must be "2.0"/],
	['a tools/call without params', { jsonrpc: '2.0', id: 1, method: 'tools/call' }, /params/],
	['an object id', { jsonrpc: '2.0', id: { x: 1 }, method: 'tools/call', params: { name: 'items', arguments: {} } }, /"id" must be a string or a number/],
]) {
	test(`${name} gets a JSON-RPC error with the reason`, async () => {
		const before = await count(directus, 'articles');
		const { result, rows } = await withAudit(directus, () => rawRpc(directus, CONTENT_TOKEN, body), { method: null });
		assert.equal(result.status, 400, result.text);
		assert.equal(result.json.error.code, -32600);
		assert.match(result.json.error.message, pattern);
		assert.equal(result.json.error.data.rule, 'request.invalid-message');
		assert.equal(rows[0].decision, 'denied');
		assert.equal(await count(directus, 'articles'), before);
		await stillServing();
	});
}

for (const [name, args, rule, pattern] of [
	['non-object arguments', [1, 2], 'request.invalid-arguments', /"arguments" must be an object, got an array/],
	['string arguments', '{"action":"delete"}', 'request.invalid-arguments', /"arguments" must be an object, got a string/],
	['missing arguments', undefined, 'request.invalid-arguments', /"arguments" must be an object, got nothing/],
	['an unknown action', { action: 'truncate', collection: 'articles' }, 'request.invalid-arguments', /"action" must be one of/],
	['unparseable stringified data', { action: 'update', collection: 'articles', keys: [1], data: '{"comments": {"delete"' }, 'request.invalid-arguments', /"data" must be an object/],
]) {
	test(`${name} is a tool error naming rule ${rule}`, async () => {
		const before = await count(directus, 'comments');
		const { result, rows } = await withAudit(directus, () => rawRpc(directus, CONTENT_TOKEN, toolCall('items', args)));
		assert.equal(result.status, 200);
		const errors = toolErrors(result.json.result);
		assert.equal(errors[0].rule, rule);
		assert.match(errors[0].error, pattern);
		assert.ok(errors[0].remedy.length > 0);
		assert.equal(rows[0].rule, rule);
		assert.equal(await count(directus, 'comments'), before);
	});
}

// The guard reads the bytes Directus's body parser kept (req.rawBody) when they are UTF-8, and what Directus
// parsed otherwise: either way it judges what Directus runs.
test('a message is judged whatever encoding the client sent it in', async () => {
	const [comment] = await directus.api('GET', `/items/comments?filter[article][_eq]=${articleIds[0]}&fields=id&limit=1`);
	const nestedDelete = toolCall('items', { action: 'update', collection: 'articles', keys: [articleIds[0]], data: { comments: { delete: [comment.id] } } });
	const utf16 = Buffer.from(JSON.stringify(nestedDelete), 'utf16le');
	const before = await count(directus, 'comments');
	const refused = await withAudit(directus, () => rawRpc(directus, CONTENT_TOKEN, utf16, { headers: { 'Content-Type': 'application/json; charset=utf-16le' } }));
	assert.equal(refused.result.status, 200, refused.result.text);
	assert.equal(toolErrors(refused.result.json.result)[0].rule, 'deletes.disabled');
	assert.equal(refused.rows[0].rule, 'deletes.disabled');
	assert.equal(await count(directus, 'comments'), before);

	// Body-parser drops a UTF-8 byte order mark, and so does the core.
	const read = toolCall('items', { action: 'read', collection: 'articles', query: { fields: ['id'] } });
	const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(read))]);
	const passed = await withAudit(directus, () => rawRpc(directus, CONTENT_TOKEN, withBom, { headers: { 'Content-Type': 'application/json; charset=UTF-8' } }));
	assert.equal(toolErrors(passed.result.json?.result), null, passed.result.text);
	assert.equal(passed.rows[0].decision, 'allowed');
	assert.equal(passed.rows[0].action, 'read');
});

test('an unknown tool is refused in both modes', async () => {
	for (const registry of [false, true]) {
		const { json } = await rawRpc(directus, CONTENT_TOKEN, toolCall('drop-database', {}), { registry });
		assert.equal(toolErrors(json.result)[0].rule, 'request.unknown-tool');
	}
	const { json } = await rawRpc(directus, CONTENT_TOKEN, toolCall('execute', { name: 'nope', input: {} }), { registry: true });
	assert.equal(toolErrors(json.result)[0].rule, 'request.unknown-tool');
});

test('huge arguments are judged, capped in the log, and Directus keeps serving', async () => {
	const big = 'x'.repeat(600_000);
	const { result, rows } = await withAudit(directus, () =>
		rawRpc(directus, CONTENT_TOKEN, toolCall('items', { action: 'update', collection: 'articles', keys: [articleIds[0]], data: { title: big } })),
	);
	assert.equal(result.status, 200);
	assert.equal(toolErrors(result.json.result), null, result.text.slice(0, 500));
	assert.ok(rows[0].arguments.length < 20_000, `logged ${rows[0].arguments.length} chars`);
	assert.match(rows[0].arguments, /…\[600000 chars\]/);
	await stillServing();
});

test('deeply nested arguments are refused, not guessed at', async () => {
	let data = { title: 'deep' };
	for (let i = 0; i < 300; i++) data = { comments: { create: [data] } };
	const { result } = await withAudit(directus, () =>
		rawRpc(directus, CONTENT_TOKEN, toolCall('items', { action: 'update', collection: 'articles', keys: [articleIds[0]], data })),
		{ method: null },
	);
	assert.equal(result.status, 400);
	assert.match(result.json.error.message, /cannot be read as JSON: recursion limit/);
	await stillServing();
});

test('odd paths and methods reach the guard with Express semantics', async () => {
	const del = toolCall('items', { action: 'delete', collection: 'articles', keys: [articleIds[1]] });
	for (const [path, method] of [['/MCP', 'POST'], ['/mcp/', 'POST'], ['/Mcp/', 'GET'], ['/mcp', 'GET']]) {
		const { status, json } = await rawRpc(directus, CONTENT_TOKEN, del, { path, method });
		assert.equal(status, 200, `${method} ${path}`);
		assert.equal(toolErrors(json.result)?.[0].rule, 'deletes.disabled', `${method} ${path}: ${JSON.stringify(json)}`);
	}
	assert.equal(await count(directus, 'articles', { id: { _eq: articleIds[1] } }), 1);
});

test('a client that does not accept JSON gets 405, as from Directus itself', async () => {
	const { status, rows } = await withAudit(
		directus,
		async () => (await rawRpc(directus, CONTENT_TOKEN, '', { method: 'GET', headers: { Accept: 'text/event-stream' } })).status,
		{ method: null },
	).then(({ result, rows }) => ({ status: result, rows }));
	assert.equal(status, 405);
	assert.equal(rows[0].rule, 'request.not-acceptable');
});

test('a bad token is recorded as failed authentication', async () => {
	const { result, rows } = await withAudit(directus, () => rawRpc(directus, 'not-a-token', toolCall('items', { action: 'read', collection: 'articles' })), { method: null });
	assert.equal(result.status, 401);
	assert.equal(rows[0].rule, 'request.rejected-by-directus');
	assert.match(rows[0].outcome, /^http-401:INVALID_CREDENTIALS/);
	assert.equal(rows[0].tool, 'items');
});
