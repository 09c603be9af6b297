// Small stand-ins for Directus's hook API, knex and Express, for unit tests of the built package.
import { EventEmitter } from 'node:events';

/** `failInsertCall`: the one insert call (counting from 1) that fails, once. */
export function fakeDatabase({ settingsRow = {}, failInserts = false, failInsertCall = null, flows = [], operations = [] } = {}) {
	const inserted = [];
	const updated = [];
	/** The rows of each insert statement, by table. */
	const statements = [];
	let insertCalls = 0;
	const tables = { directus_settings: [settingsRow], directus_flows: flows, directus_operations: operations, directus_roles: [], directus_users: [] };
	const database = (table) => ({
		insert: async (rows) => {
			insertCalls += 1;
			if (failInserts || insertCalls === failInsertCall) throw new Error('disk full');
			const list = Array.isArray(rows) ? rows : [rows];
			statements.push({ table, rows: list });
			for (const row of list) inserted.push({ table, row });
		},
		where: (where) => ({ update: async (change) => updated.push({ table, where, change }) }),
	});
	// select(…).from(table)[.where(…)][.first()]: every row of the table (filters are not needed here).
	database.select = () => ({
		from: (table) => {
			const query = Promise.resolve(tables[table] ?? []);
			query.where = () => query;
			query.first = async () => (tables[table] ?? [])[0];
			return query;
		},
	});
	database.raw = (sql) => sql;
	database.transaction = async (work) => work(database);
	return { database, inserted, updated, statements, tables };
}

/**
 * Directus's extension-local emitter, reduced to what the guard uses. `listenerList: false` leaves out the
 * `filterEmitter` whose listener list the trampoline reads, as an emitter of another shape might.
 */
export function fakeEmitter({ listenerList = true } = {}) {
	const filters = new Map();
	return {
		onFilter: (event, handler) => filters.set(event, [...(filters.get(event) ?? []), handler]),
		async emitFilter(event, payload) {
			let value = payload;
			for (const handler of filters.get(event) ?? []) value = (await handler(value)) ?? value;
			return value;
		},
		offAll: () => filters.clear(),
		...(listenerList ? { filterEmitter: { listeners: (event) => [...(filters.get(event) ?? [])] } } : {}),
	};
}

export const silentLogger = { info() {}, warn() {}, error() {}, messages: [] };

/** Registers the built hook the way Directus's extension manager does, keeping every handler. */
export function registerHook(hook, context) {
	const handlers = { init: {}, filter: {}, action: {} };
	const add = (kind) => (event, handler) => {
		handlers[kind][event] = [...(handlers[kind][event] ?? []), handler];
	};
	hook({ init: add('init'), filter: add('filter'), action: add('action'), schedule() {}, embed() {} }, context);
	return handlers;
}

export function fakeApp() {
	const layers = [];
	return { layers, use: (path, fn) => layers.push({ path, fn }) };
}

export function fakeRequest(body, { registry = false, admin = false, acceptsJson = true } = {}) {
	return {
		body,
		query: registry ? { tool_mode: 'registry' } : {},
		accountability: { user: 'user-1', role: 'role-1', admin, ip: '203.0.113.9', userAgent: 'unit-test' },
		schema: {
			collections: { articles: { primary: 'id', singleton: false }, comments: { primary: 'id', singleton: false } },
			relations: [{ collection: 'comments', field: 'article', related_collection: 'articles', meta: { one_field: 'comments', one_deselect_action: 'delete' } }],
		},
		accepts: () => (acceptsJson ? 'application/json' : false),
		get: () => undefined,
	};
}

export function fakeResponse() {
	const res = new EventEmitter();
	const headers = {};
	Object.assign(res, {
		statusCode: 200,
		writableFinished: false,
		body: undefined,
		status(code) {
			res.statusCode = code;
			return res;
		},
		set(name, value) {
			headers[name.toLowerCase()] = value;
			return res;
		},
		get: (name) => headers[name.toLowerCase()],
		send(body) {
			res.body = body;
			res.writableFinished = true;
			setImmediate(() => res.emit('close'));
			return res;
		},
		json(value) {
			return res.send(JSON.stringify(value));
		},
	});
	return res;
}

export const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
