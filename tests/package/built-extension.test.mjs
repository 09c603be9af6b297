// Unit tests of what ships: dist/api.js with its WASM core, driven through stand-ins for Directus.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fakeDatabase, fakeEmitter, silentLogger, registerHook, fakeApp, fakeRequest, fakeResponse, tick } from './fakes.mjs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url)));
const { hooks } = await import(new URL(`../../${pkg['directus:extension'].path.api}`, import.meta.url));
const hook = hooks.find((h) => h.name === 'mcp-guard-hook')?.config;

const LIVE_GUARD_EVENT = 'mcp-guard-live-guard';
// Audit rows of calls that do not write are written in batches, once a second.
const waitForBatch = () => tick(1300);
const call = (name, args) => ({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: args } });

// Like Directus's extension manager: one extension-local emitter for the process, cleared on every unload.
const emitter = fakeEmitter();

/** Unloads whatever guard was live and loads a fresh one, as an extension reload does. */
function load(dbOptions) {
	emitter.offAll();
	const db = fakeDatabase(dbOptions);
	const failing = () => {
		throw new Error('no services here');
	};
	const handlers = registerHook(hook, { database: db.database, emitter, logger: silentLogger, services: {}, getSchema: failing, env: {} });
	return { db, handlers };
}

async function mount(loaded) {
	const app = fakeApp();
	for (const init of loaded.handlers.init['routes.before']) await init({ app });
	return app;
}

// Directus builds its routes once, so the first load mounts the trampoline that every later load goes through.
const app = await mount(load());

/**
 * Runs one request through the mounted trampoline; resolves with the response and whether `next` ran. `answer`
 * is what Directus's MCP transport sends if the call goes through (it calls res.json(message)); `onSend` runs
 * as the answer is sent.
 */
async function through(app, req, answer = { jsonrpc: '2.0', id: 9, result: { content: [] } }, { onSend } = {}) {
	const res = fakeResponse();
	if (onSend) {
		const send = res.send;
		res.send = (body) => {
			onSend();
			return send(body);
		};
	}
	let nextCalled = false;
	await app.layers[0].fn(req, res, () => {
		nextCalled = true;
		res.json(answer);
	});
	await tick();
	return { res, nextCalled, json: res.body ? JSON.parse(res.body) : null };
}

test('the manifest declares a bundle whose hook Directus can register', () => {
	const ext = pkg['directus:extension'];
	assert.equal(ext.type, 'bundle');
	assert.deepEqual(ext.entries.map((e) => e.type), ['hook', 'endpoint']);
	// Directus matches extension settings by folder name, and bundle entries by entry name: an entry named
	// like the folder the README installs into (mcp-guard) makes enable/disable pick the wrong row at random.
	for (const entry of ext.entries) assert.notEqual(entry.name, 'mcp-guard');
	assert.equal(typeof hook, 'function');
});

test('the core runs its warm-up samples when it loads, without a warning', () => {
	const warnings = [];
	const logger = { ...silentLogger, warn: (message) => warnings.push(message) };
	const db = fakeDatabase();
	registerHook(hook, { database: db.database, emitter: fakeEmitter(), logger, services: {}, getSchema: async () => ({}), env: {} });
	assert.deepEqual(warnings, []);
});

test('the live guard is published on the extension emitter and one trampoline is mounted per process', async () => {
	const loaded = load();
	assert.ok(await emitter.emitFilter(LIVE_GUARD_EVENT, null));
	// 2 layers: the trampoline and the recorder of requests Directus refused.
	assert.deepEqual(app.layers.map((l) => l.path), ['/mcp', '/mcp']);
	const again = await mount(loaded);
	assert.equal(again.layers.length, 0, 'a second routes.before mounted a second trampoline');
});

test('a nested delete is refused with a tool error and recorded', async () => {
	const loaded = load();
	const { json, nextCalled } = await through(app, fakeRequest(call('items', { action: 'update', collection: 'articles', keys: [1], data: { comments: { delete: [4] } } })));
	assert.equal(nextCalled, false);
	const errors = JSON.parse(json.result.content[0].text);
	assert.equal(errors[0].rule, 'deletes.disabled');
	await waitForBatch();
	assert.match(errors[0].reason, /1 row of comments/);
	const row = loaded.db.inserted.find((r) => r.table === 'mcp_guard_log')?.row;
	assert.equal(row?.decision, 'denied');
	assert.equal(row?.outcome, 'tool-error:MCP_GUARD_DENIED');
	assert.equal(row?.user, 'user-1');
	// A time-ordered UUID (v7) that starts with when the message arrived, so rows append to the key index.
	assert.match(row.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
	const idTime = parseInt(row.id.slice(0, 8) + row.id.slice(9, 13), 16);
	assert.equal(idTime, row.timestamp.getTime(), `${row.id} vs ${row.timestamp.toISOString()}`);
});

// The core keeps the caller context it read last, and the JS side writes it again only when it changes.
test('calls one after another are each judged and recorded as their own caller', async () => {
	const loaded = load();
	const read = (admin, userAgent) => {
		const req = fakeRequest(call('items', { action: 'read', collection: 'articles' }), { admin });
		if (userAgent) req.accountability.userAgent = userAgent;
		return req;
	};
	const sequence = [read(false), read(true), read(false), read(false, 'another client')];
	const passed = [];
	for (const req of sequence) passed.push((await through(app, req)).nextCalled);
	assert.deepEqual(passed, [true, false, true, true]);
	await waitForBatch();
	const rows = loaded.db.inserted.filter((r) => r.table === 'mcp_guard_log').map((r) => r.row);
	assert.deepEqual(rows.map((r) => [r.admin, r.rule, r.user_agent]), [
		[false, 'allow.policy', 'unit-test'],
		[true, 'access.admin-token', 'unit-test'],
		[false, 'allow.policy', 'unit-test'],
		[false, 'allow.policy', 'another client'],
	]);
});

// Directus hands each request a deep copy of its schema, unless CACHE_SCHEMA_FREEZE_ENABLED makes them share
// the cached one, frozen as Directus freezes it: fields and collections, but not each collection's `fields`.
test("an MCP call runs without the guard's settings in its copy of the schema; a shared schema stays whole", async () => {
	load();
	const withSettings = (req) => {
		const fields = Object.fromEntries(['id', 'mcp_enabled', 'mcp_allow_deletes', 'mcp_guard_enabled', 'mcp_guard_max_keys'].map((field) => [field, { field }]));
		req.schema.collections.directus_settings = { primary: 'id', singleton: true, fields };
		return req;
	};
	const fieldsSeen = (req) => Object.keys(req.schema.collections.directus_settings.fields);
	const read = () => withSettings(fakeRequest(call('items', { action: 'read', collection: 'articles' })));
	const write = () => withSettings(fakeRequest(call('items', { action: 'update', collection: 'articles', keys: [1], data: { title: 'x' } })));

	for (const req of [read(), write()]) {
		assert.equal((await through(app, req)).nextCalled, true);
		assert.deepEqual(fieldsSeen(req), ['id', 'mcp_enabled', 'mcp_allow_deletes']);
	}

	const shared = read();
	for (const field of Object.values(shared.schema.collections.directus_settings.fields)) Object.freeze(field);
	for (const collection of Object.values(shared.schema.collections)) Object.freeze(collection);
	Object.freeze(shared.schema.collections);
	Object.freeze(shared.schema);
	assert.equal((await through(app, shared)).nextCalled, true);
	assert.deepEqual(fieldsSeen(shared), ['id', 'mcp_enabled', 'mcp_allow_deletes', 'mcp_guard_enabled', 'mcp_guard_max_keys']);
});

test('an allowed write is recorded before it runs, then completed', async () => {
	const loaded = load();
	const { nextCalled } = await through(app, fakeRequest(call('items', { action: 'update', collection: 'articles', keys: [1], data: { title: 'x' } })));
	assert.equal(nextCalled, true);
	const ahead = loaded.db.inserted.find((r) => r.table === 'mcp_guard_log');
	assert.equal(ahead.row.outcome, 'pending');
	assert.equal(ahead.row.mutating, true);
	await waitForBatch();
	assert.deepEqual(loaded.db.updated.map((u) => [u.where.id, u.change.outcome]), [[ahead.row.id, 'ok']]);
});

test("a read's row has the outcome of the answer sent, small or large", async () => {
	const loaded = load();
	const toolError = (code, padding) => ({ jsonrpc: '2.0', id: 9, result: { isError: true, content: [{ type: 'text', text: JSON.stringify([{ error: `nope${padding}`, code }]) }] } });
	const read = () => fakeRequest(call('items', { action: 'read', collection: 'articles' }));
	await through(app, read(), toolError('FORBIDDEN', ''));
	await through(app, read(), toolError('INVALID_QUERY', ' '.repeat(40_000)));
	await waitForBatch();
	const outcomes = loaded.db.inserted.filter((r) => r.table === 'mcp_guard_log').map((r) => r.row.outcome);
	assert.deepEqual(outcomes, ['tool-error:FORBIDDEN', 'tool-error:INVALID_QUERY']);
});

test('when the audit row cannot be written, a write is refused and a read is not', async () => {
	load({ failInserts: true });
	const write = await through(app, fakeRequest(call('items', { action: 'create', collection: 'articles', data: { title: 'x' } })));
	assert.equal(write.nextCalled, false);
	assert.equal(JSON.parse(write.json.result.content[0].text)[0].rule, 'audit.write-failed');
	const read = await through(app, fakeRequest(call('items', { action: 'read', collection: 'articles' })));
	assert.equal(read.nextCalled, true);
});

test('a batch whose second insert fails writes the rest later, and no row twice', async () => {
	// More read rows than one insert statement carries (400), so the batch takes two; the second fails once.
	const loaded = load({ failInsertCall: 2 });
	const reads = 450;
	// All of them inside one batch interval (`through` waits after each call).
	for (let i = 0; i < reads; i++) {
		const res = fakeResponse();
		await app.layers[0].fn(fakeRequest(call('items', { action: 'read', collection: 'articles' })), res, () => res.json({ jsonrpc: '2.0', id: 9, result: { content: [] } }));
	}
	await waitForBatch();
	assert.equal(loaded.db.inserted.length, 400, 'the first statement is written, the second is not');
	// The retry comes after a short back-off.
	await tick(1000);
	const ids = loaded.db.inserted.filter((r) => r.table === 'mcp_guard_log').map((r) => r.row.id);
	assert.equal(ids.length, reads);
	assert.equal(new Set(ids).size, reads, 'a row was written twice');
});

test('rows with large arguments are written in statements of at most about a megabyte', async () => {
	const loaded = load();
	// The audit row keeps 50 items of a list and 256 characters of a string: about 13 KB of arguments here,
	// so 250 rows take about 3.3 MB.
	const fields = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(300, 'x'));
	for (let i = 0; i < 250; i++) {
		const res = fakeResponse();
		await app.layers[0].fn(fakeRequest(call('items', { action: 'read', collection: 'articles', query: { fields } })), res, () => res.json({ jsonrpc: '2.0', id: 9, result: { content: [] } }));
	}
	await waitForBatch();
	const logStatements = loaded.db.statements.filter((s) => s.table === 'mcp_guard_log');
	assert.equal(logStatements.reduce((n, s) => n + s.rows.length, 0), 250);
	assert.ok(logStatements[0].rows[0].arguments.length > 12_000, `arguments of ${logStatements[0].rows[0].arguments.length} characters`);
	assert.ok(logStatements.length >= 3, `${logStatements.length} statements`);
	for (const { rows } of logStatements) {
		const text = rows.reduce((n, row) => n + (row.arguments?.length ?? 0), 0);
		assert.ok(text <= 1024 * 1024, `a statement carried ${text} characters of arguments`);
	}
});

const nestedDelete = () => fakeRequest(call('items', { action: 'update', collection: 'articles', keys: [1], data: { comments: { delete: [4] } } }));

/** Counts the guard's reads of directus_settings; `gate`, when given, holds each read's answer until it resolves. */
function countSettingsReads(db, gate) {
	const select = db.database.select;
	const reads = { count: 0 };
	db.database.select = (...columns) => ({
		from(table) {
			if (table !== 'directus_settings') return select(...columns).from(table);
			reads.count += 1;
			const row = { ...db.tables.directus_settings[0] };
			return { first: async () => (await gate, row) };
		},
	});
	return reads;
}

// Settings changed on another instance (or by hand) reach the guard when its copy grows old (2 s). The read
// holds SQLite's only connection, so a call must not wait for it when it can be done after an answer.
test('settings are read again after an answer has left, before they grow too old, and the next call uses them', async () => {
	mock.timers.enable({ apis: ['Date'], now: Date.now() });
	try {
		const loaded = load();
		const reads = countSettingsReads(loaded.db);
		const answered = async (req) => {
			let readsWhenAnswered;
			const { nextCalled, json } = await through(app, req, undefined, { onSend: () => (readsWhenAnswered = reads.count) });
			return { nextCalled, readsWhenAnswered, json };
		};
		assert.equal((await answered(nestedDelete())).readsWhenAnswered, 1);
		// Another instance allows deletes; 1.6 s later this guard's copy is still young enough to judge with.
		loaded.db.tables.directus_settings[0] = { mcp_allow_deletes: true };
		mock.timers.tick(1600);
		const before = await answered(nestedDelete());
		assert.equal(before.nextCalled, false);
		assert.equal(JSON.parse(before.json.result.content[0].text)[0].rule, 'deletes.disabled');
		assert.equal(before.readsWhenAnswered, 1, 'the call did not wait for a read');
		assert.equal(reads.count, 2, 'the settings were read once its answer had left');
		const after = await answered(nestedDelete());
		assert.equal(after.nextCalled, true);
		assert.equal(reads.count, 2);
		// Long after the last call, the next one waits for a read rather than use old settings.
		loaded.db.tables.directus_settings[0] = {};
		mock.timers.tick(60_000);
		const idle = await answered(nestedDelete());
		assert.equal(idle.nextCalled, false);
		assert.equal(idle.readsWhenAnswered, 3);
	} finally {
		mock.timers.reset();
	}
});

test("schema facts are read again from a request's schema after its answer has left, before they grow too old", async () => {
	mock.timers.enable({ apis: ['Date'], now: Date.now() });
	try {
		load();
		// A replace array deletes the comments left out only when the relation says so.
		const replace = (deselect) => {
			const req = fakeRequest(call('items', { action: 'update', collection: 'articles', keys: [1], data: { comments: [4] } }));
			req.schema.relations[0].meta.one_deselect_action = deselect;
			return req;
		};
		assert.equal((await through(app, replace('nullify'))).nextCalled, true);
		mock.timers.tick(1600);
		assert.equal((await through(app, replace('delete'))).nextCalled, true, 'judged with the facts it had');
		const { nextCalled, json } = await through(app, replace('delete'));
		assert.equal(nextCalled, false, 'judged with the facts read after the last answer');
		assert.equal(JSON.parse(json.result.content[0].text)[0].rule, 'deletes.disabled');
	} finally {
		mock.timers.reset();
	}
});

test('a settings read that a change overtook is done again before a call is judged with it', async () => {
	const loaded = load();
	let release;
	const reads = countSettingsReads(loaded.db, new Promise((resolve) => (release = resolve)));
	// The first call's read begins with deletes off; the settings are saved while it is in flight.
	const pending = through(app, nestedDelete());
	await tick();
	loaded.db.tables.directus_settings[0] = { mcp_allow_deletes: true };
	for (const saved of loaded.handlers.action['settings.update']) saved();
	release();
	const { nextCalled } = await pending;
	assert.equal(reads.count, 2);
	assert.equal(nextCalled, true, 'the call was judged with the settings as saved');
});

test('invalid settings fail closed with the reason', async () => {
	load({ settingsRow: { mcp_guard_enabled: 'sometimes' } });
	const { json, nextCalled } = await through(app, fakeRequest(call('items', { action: 'read', collection: 'articles' })));
	assert.equal(nextCalled, false);
	const error = JSON.parse(json.result.content[0].text)[0];
	assert.equal(error.rule, 'settings.invalid');
	assert.match(error.reason, /mcp_guard_enabled: must be true or false/);
});

test('with no live guard the trampoline refuses everything', async () => {
	load();
	emitter.offAll();
	const { json, nextCalled } = await through(app, fakeRequest(call('items', { action: 'read', collection: 'articles' })));
	assert.equal(nextCalled, false);
	assert.equal(JSON.parse(json.result.content[0].text)[0].rule, 'guard.not-loaded');
});

test('through an emitter without a listener list, the trampoline asks emitFilter: the guard judges, and unloaded it refuses', async () => {
	const plain = fakeEmitter({ listenerList: false });
	const mounted = Symbol.for('mcp-guard.trampoline-mounted');
	delete globalThis[mounted];
	try {
		const failing = () => {
			throw new Error('no services here');
		};
		const handlers = registerHook(hook, { database: fakeDatabase().database, emitter: plain, logger: silentLogger, services: {}, getSchema: failing, env: {} });
		const other = await mount({ handlers });
		const nested = await through(other, fakeRequest(call('items', { action: 'update', collection: 'articles', keys: [1], data: { comments: { delete: [4] } } })));
		assert.equal(nested.nextCalled, false);
		assert.equal(JSON.parse(nested.json.result.content[0].text)[0].rule, 'deletes.disabled');
		plain.offAll();
		const unloaded = await through(other, fakeRequest(call('items', { action: 'read', collection: 'articles' })));
		assert.equal(unloaded.nextCalled, false);
		assert.equal(JSON.parse(unloaded.json.result.content[0].text)[0].rule, 'guard.not-loaded');
	} finally {
		globalThis[mounted] = true;
	}
});

test('trigger-flow is judged by the flow graph read from the database', async () => {
	load({ flows: [{ id: 'f1' }], operations: [{ id: 'o1', flow: 'f1', type: 'exec', options: '{"code":"module.exports = () => 1"}' }] });
	const { json } = await through(app, fakeRequest(call('trigger-flow', { id: 'f1', collection: 'articles' })));
	const error = JSON.parse(json.result.content[0].text)[0];
	assert.equal(error.rule, 'exfiltration.script');
	assert.match(error.reason, /run a script in flow f1/);
});

test('the delete tripwire throws inside an MCP request only, while deletes are off', async () => {
	const loaded = load();
	const guard = await emitter.emitFilter(LIVE_GUARD_EVENT, null);
	const [tripwire] = loaded.handlers.filter['items.delete'];
	// The settings reach the core with the first request.
	await through(app, fakeRequest(call('items', { action: 'read', collection: 'articles' })));
	assert.deepEqual(await tripwire([1], { event: 'items.delete', collection: 'comments' }), [1], 'outside MCP the delete must pass');
	const store = { tripped: null };
	let thrown = null;
	const done = guard.requestContext.run(store, () => {
		try {
			tripwire([1, 2], { event: 'items.delete', collection: 'comments' });
		} catch (error) {
			thrown = error;
		}
	});
	done();
	assert.ok(thrown?.name === 'DirectusError' && thrown.code === 'MCP_GUARD_DENIED', String(thrown));
	assert.equal(store.tripped.rule, 'deletes.disabled');
});

test('tools/list answers lose the tools the caller\'s mode rules out', async () => {
	load({ settingsRow: { mcp_guard_default_mode: 'analysis' } });
	const res = fakeResponse();
	await app.layers[0].fn(fakeRequest({ jsonrpc: '2.0', id: 3, method: 'tools/list' }), res, () =>
		res.json({ jsonrpc: '2.0', id: 3, result: { tools: [{ name: 'items' }, { name: 'trigger-flow' }, { name: 'flows' }] } }),
	);
	await tick();
	assert.deepEqual(JSON.parse(res.body).result.tools, [{ name: 'items' }]);
});

test('saving invalid settings is refused with a Directus error that lists every problem', async () => {
	const loaded = load();
	const [filter] = loaded.handlers.filter['settings.update'];
	const validate = (payload) => filter(payload, { event: 'settings.update' }, { schema: fakeRequest(null).schema });
	await assert.rejects(validate({ mcp_guard_ip_allowlist: ['10.0.0.0/33'], mcp_guard_default_mode: 'root' }), (error) => {
		assert.equal(error.name, 'DirectusError');
		assert.equal(error.status, 400);
		assert.match(error.message, /10\.0\.0\.0\/33.*not an IP address/);
		assert.match(error.message, /mcp_guard_default_mode: must be one of analysis, content, developer, off/);
		return true;
	});
	assert.deepEqual(await validate({ mcp_guard_max_keys: 5 }), { mcp_guard_max_keys: 5 });
	// Collections are known from the schema even before any MCP call.
	assert.deepEqual(await validate({ mcp_guard_collections_deny: ['comments'] }), { mcp_guard_collections_deny: ['comments'] });
	await assert.rejects(validate({ mcp_guard_collections_deny: ['nope'] }), /there is no collection "nope"/);
	assert.deepEqual(await validate({ project_name: 'not ours' }), { project_name: 'not ours' });
});

test('the README documents every declared setting and every rule id of the core', () => {
	const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
	const manifest = JSON.parse(readFileSync(new URL('../../extension.json', import.meta.url)));
	for (const setting of manifest.settings.filter((s) => s.type !== 'presentation')) assert.ok(readme.includes(`\`${setting.field}\``), setting.field);
	const policy = readFileSync(new URL('../../src/policy.rs', import.meta.url), 'utf8');
	const ids = [...policy.matchAll(/Rule::\w+ => "([a-z-]+\.[a-z-]+)"/g)].map((m) => m[1]);
	assert.ok(ids.length > 20, 'rule ids found in src/policy.rs');
	for (const id of ids) assert.ok(readme.includes(`\`${id}\``), id);
});
