// Allow Deletes, enforced on every path: with it off, each destructive call is refused and no row is lost;
// with it on, the same calls go through. Driven with the MCP SDK client and with raw HTTP, and every call
// leaves an audit row with the right decision and rule.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedDeleteFlow, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { CLIENTS, callViaHttp, toolErrors, count, withAudit } from '../helpers.mjs';

let directus;
let flowId;

before(async () => {
	directus = await startDirectus({ name: 'allow-deletes' });
	await seed(directus);
	flowId = await seedDeleteFlow(directus);
});
after(() => directus?.stop());

/** A fresh article with two comments and one tag link, so each case has its own rows to lose. */
async function freshArticle() {
	const tag = await directus.api('POST', '/items/tags', { name: 't' });
	const a = await directus.api('POST', '/items/articles?fields=*,comments.id,tags.id', {
		title: 'victim',
		comments: [{ body: 'c1' }, { body: 'c2' }],
		tags: [{ tags_id: tag.id }],
	});
	return { id: a.id, comments: a.comments.map((c) => c.id), tagLinks: a.tags.map((t) => t.id) };
}

// Each case: the call, and a counter of the rows it would destroy.
const DESTRUCTIVE = {
	'items delete': (a) => ({ tool: 'items', args: { action: 'delete', collection: 'articles', keys: [a.id] }, rows: () => count(directus, 'articles', { id: { _eq: a.id } }) }),
	'registry execute → items delete': (a) => ({
		tool: 'execute',
		registry: true,
		args: { name: 'items', input: { action: 'delete', collection: 'articles', keys: [a.id] } },
		rows: () => count(directus, 'articles', { id: { _eq: a.id } }),
	}),
	'nested {comments: {delete: [id]}}': (a) => ({
		tool: 'items',
		args: { action: 'update', collection: 'articles', keys: [a.id], data: { comments: { delete: [a.comments[0]] } } },
		rows: () => count(directus, 'comments', { article: { _eq: a.id } }),
	}),
	'O2M replace array (one_deselect_action: delete)': (a) => ({
		tool: 'items',
		args: { action: 'update', collection: 'articles', keys: [a.id], data: { comments: [{ id: a.comments[0] }] } },
		rows: () => count(directus, 'comments', { article: { _eq: a.id } }),
	}),
	'M2M replace deleting junction rows': (a) => ({
		tool: 'items',
		args: { action: 'update', collection: 'articles', keys: [a.id], data: { tags: [] } },
		rows: () => count(directus, 'articles_tags', { articles_id: { _eq: a.id } }),
	}),
	'stringified data': (a) => ({
		tool: 'items',
		args: { action: 'update', collection: 'articles', keys: JSON.stringify([a.id]), data: JSON.stringify({ comments: { delete: [a.comments[1]] } }) },
		rows: () => count(directus, 'comments', { article: { _eq: a.id } }),
	}),
	'trigger-flow of an item-delete flow with full permissions': (a) => ({
		tool: 'trigger-flow',
		args: { id: flowId, collection: 'articles', keys: [a.id] },
		rows: () => count(directus, 'articles', { id: { _eq: a.id } }),
	}),
};

async function setAllowDeletes(on) {
	await directus.api('PATCH', '/settings', { mcp_allow_deletes: on });
}

describe('Allow Deletes off', () => {
	before(() => setAllowDeletes(false));
	for (const [name, makeCase] of Object.entries(DESTRUCTIVE)) {
		for (const [clientName, call] of Object.entries(CLIENTS)) {
			test(`${name} is refused via ${clientName}, no row lost`, async () => {
				const c = makeCase(await freshArticle());
				const rowsBefore = await c.rows();
				const { result, rows } = await withAudit(directus, () => call(directus, CONTENT_TOKEN, c.tool, c.args, { registry: c.registry }));
				const errors = toolErrors(result);
				assert.ok(errors, `expected a tool error, got ${JSON.stringify(result)}`);
				assert.equal(errors[0].code, 'MCP_GUARD_DENIED');
				assert.match(errors[0].rule, /^deletes\./);
				assert.match(errors[0].error, /Allow Deletes/);
				assert.equal(await c.rows(), rowsBefore, 'rows were lost');
				assert.equal(rows.length, 1);
				assert.equal(rows[0].decision, 'denied');
				assert.equal(rows[0].rule, errors[0].rule);
				assert.equal(rows[0].outcome, 'tool-error:MCP_GUARD_DENIED');
			});
		}
	}
});

describe('Allow Deletes on', () => {
	before(() => setAllowDeletes(true));
	after(() => setAllowDeletes(false));
	for (const [name, makeCase] of Object.entries(DESTRUCTIVE)) {
		for (const [clientName, call] of Object.entries(CLIENTS)) {
			test(`${name} goes through via ${clientName}`, async () => {
				const c = makeCase(await freshArticle());
				const rowsBefore = await c.rows();
				const { result, rows } = await withAudit(directus, () => call(directus, CONTENT_TOKEN, c.tool, c.args, { registry: c.registry }));
				assert.equal(toolErrors(result), null, `unexpected tool error: ${JSON.stringify(result)}`);
				assert.ok((await c.rows()) < rowsBefore, 'the delete did not happen');
				assert.equal(rows[0].decision, 'allowed');
				assert.equal(rows[0].outcome, 'ok');
				assert.equal(rows[0].mutating, true);
			});
		}
	}
});

// A change that reaches the database without Directus's events (another instance behind the same database,
// or a person with SQL) reaches the guard when its copy of the settings grows old. Under steady traffic the
// copy is read again after an answer has left, before it is too old to judge with: the change must arrive
// that way too, without a restart.
describe('Allow Deletes switched on in the database, as another instance would', () => {
	after(() => setAllowDeletes(false));
	test('takes effect while MCP calls keep coming, and the nested delete then goes through', async () => {
		await setAllowDeletes(false);
		const a = await freshArticle();
		const nestedDelete = { action: 'update', collection: 'articles', keys: [a.id], data: { comments: { delete: [a.comments[0]] } } };
		const comments = () => count(directus, 'comments', { article: { _eq: a.id } });
		assert.ok(toolErrors(await callViaHttp(directus, CONTENT_TOKEN, 'items', nestedDelete)), 'refused while deletes are off');
		execFileSync('sqlite3', [`${directus.dir}/data.db`, 'UPDATE directus_settings SET mcp_allow_deletes = 1']);
		// Calls 200 ms apart; the copy is at most 2 s old, so 10 s is ample.
		let result;
		for (let i = 0; i < 50; i++) {
			result = await callViaHttp(directus, CONTENT_TOKEN, 'items', nestedDelete);
			if (!toolErrors(result)) break;
			assert.equal(await comments(), 2, 'a refused call lost a row');
			await sleep(200);
		}
		assert.equal(toolErrors(result), null, `still refused: ${JSON.stringify(result)}`);
		assert.equal(await comments(), 1);
	});
});
