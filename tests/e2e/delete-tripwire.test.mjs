// The second layer behind the request-level check, which reads event flows: a plain update that a blocking
// event flow (with "Emit Events" on) turns into a delete is refused before it runs, and the same flow runs
// once deletes are allowed. The tripwire's filter hook on deletes stays behind both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { callViaSdk, toolErrors, withAudit, count } from '../helpers.mjs';

let directus;
let articleId;

before(async () => {
	directus = await startDirectus({ name: 'tripwire' });
	await seed(directus);
	({ articleIds: [articleId] } = await seedRows(directus, 1));
	const flow = await directus.api('POST', '/flows', {
		name: 'Purge doomed comments on article update',
		status: 'active',
		trigger: 'event',
		accountability: 'all',
		options: { type: 'filter', scope: ['items.update'], collections: ['articles'] },
	});
	const op = await directus.api('POST', '/operations', {
		flow: flow.id,
		name: 'Delete doomed comments',
		key: 'purge',
		type: 'item-delete',
		position_x: 19,
		position_y: 1,
		options: { collection: 'comments', permissions: '$full', emitEvents: true, query: { filter: { body: { _eq: 'doomed' } } } },
	});
	await directus.api('PATCH', `/flows/${flow.id}`, { operation: op.id });
});
after(() => directus?.stop());

const doomed = () => count(directus, 'comments', { body: { _eq: 'doomed' } });
const update = () => callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [articleId], data: { title: `t${Date.now()}` } });

test('with Allow Deletes off, a delete hidden in a blocking flow is refused before the call runs', async () => {
	// The request-level check reads the event flows a write sets off, so this delete never reaches the
	// tripwire: the call is refused before Directus runs it.
	await directus.api('PATCH', '/settings', { mcp_allow_deletes: false });
	await directus.api('POST', '/items/comments', { body: 'doomed', article: articleId });
	const before = await doomed();
	assert.ok(before > 0);
	const { result, rows } = await withAudit(directus, update);
	const errors = toolErrors(result);
	assert.ok(errors, `expected a tool error, got ${JSON.stringify(result)}`);
	assert.equal(errors[0].code, 'MCP_GUARD_DENIED');
	assert.equal(await doomed(), before, 'the flow deleted rows');
	assert.equal(rows[0].decision, 'denied');
	assert.equal(rows[0].rule, 'deletes.disabled');
	assert.match(rows[0].reason, /comments/);
});

test('with Allow Deletes on, the same flow runs', async () => {
	await directus.api('PATCH', '/settings', { mcp_allow_deletes: true });
	try {
		const { result, rows } = await withAudit(directus, update);
		assert.equal(toolErrors(result), null, JSON.stringify(result));
		assert.equal(await doomed(), 0);
		assert.equal(rows[0].decision, 'allowed');
	} finally {
		await directus.api('PATCH', '/settings', { mcp_allow_deletes: false });
	}
});

test('deletes outside MCP requests are none of the tripwire\'s business', async () => {
	await directus.api('POST', '/items/comments', { body: 'doomed', article: articleId });
	await directus.api('PATCH', `/items/articles/${articleId}`, { title: 'from the Data Studio' });
	assert.equal(await doomed(), 0);
});
