// Attempts around the guard's request-level judgement, as a prompt-injected model with a content-mode token
// would make them: URLs parsed another way, numbers read another way, rows hidden at depth, aliases in query
// paths, nesting past the walker, values Directus reads as a replace, and JSON text the guard cannot read.
//
// Each attempt is judged by its effect (row counts, rows in the raw answer, requests reaching a local
// listener), never by the guard's answer. Each also runs against stock Directus without the guard, which
// must show the effect: that proves the attempt is real, and that the check could fail.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startDirectus } from '../../scripts/lib/directus.mjs';
import { seed, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { rawRpc, toolCall, callViaSdk, count, configureGuard } from '../helpers.mjs';

const SECRET_COMMENT = 'comment-only-the-denied-collection-holds';
/** The guard's settings in this file: comments closed to MCP for reads, small caps, one allowed host. */
const GUARD = {
	mcp_guard_max_keys: 5,
	mcp_guard_max_batch: 5,
	mcp_guard_max_read_limit: 2,
	mcp_guard_allowed_hosts: ['allowed.example'],
};

let guarded;
let stock;
let listener;
let hits = 0;

async function prepare(directus) {
	await seed(directus);
	// The content role may also import files, as a content editor does in the Data Studio.
	const [policy] = await directus.api('GET', '/policies?filter[name][_eq]=MCP content work');
	for (const action of ['create', 'read', 'update']) {
		await directus.api('POST', '/permissions', { policy: policy.id, collection: 'directus_files', action, fields: ['*'], permissions: {}, validation: {} });
	}
	await directus.api('PATCH', '/settings', { mcp_allow_deletes: false });
}

before(async () => {
	listener = createServer((req, res) => {
		hits += 1;
		res.writeHead(200, { 'Content-Type': 'text/plain' });
		res.end('listener');
	});
	await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
	// Directus refuses imports from local addresses by default; these instances let them through, as an
	// instance that imports from an intranet would, so the guard's host check is what stands in the way.
	const env = { IMPORT_IP_DENY_LIST: '' };
	[guarded, stock] = await Promise.all([startDirectus({ name: 'adversarial-requests', env }), startDirectus({ name: 'adversarial-requests-stock', guard: false, env })]);
	await Promise.all([prepare(guarded), prepare(stock)]);
	await configureGuard(guarded, GUARD);
});
after(async () => {
	await Promise.all([guarded?.stop(), stock?.stop()]);
	listener?.close();
});

/** A fresh article with `n` comments, two tag links and a note, so each attempt has its own rows to lose. */
async function freshArticle(directus, n = 2) {
	const tag = await directus.api('POST', '/items/tags', { name: 't' });
	const tag2 = await directus.api('POST', '/items/tags', { name: 't2' });
	const a = await directus.api('POST', '/items/articles?fields=*,comments.id,tags.id', {
		title: `victim ${Math.random()}`,
		comments: Array.from({ length: n }, (_, i) => ({ body: i === 0 ? SECRET_COMMENT : `c${i}` })),
		tags: [{ tags_id: tag.id }, { tags_id: tag2.id }],
		notes: [{ body: 'n' }],
	});
	return { id: a.id, comments: a.comments.map((c) => c.id), tagLinks: a.tags.map((t) => t.id) };
}

const commentsOf = (directus, a) => count(directus, 'comments', { article: { _eq: a.id } });
const junctionOf = (directus, a) => count(directus, 'articles_tags', { articles_id: { _eq: a.id } });

/** Sends a tool call as raw JSON text, so numbers reach Directus exactly as written. */
async function rawCall(directus, name, argsText, { registry = false } = {}) {
	const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"${name}","arguments":${argsText}}}`;
	return rawRpc(directus, CONTENT_TOKEN, body, { registry });
}

const jsonCall = (directus, name, args, options) => rawRpc(directus, CONTENT_TOKEN, toolCall(name, args), options);

/**
 * The attempts. `run(directus, a)` makes the call against an instance (with `a`, a fresh article there);
 * `effect(directus, a, answer)` measures what happened; `happened(before, after)` says whether the attempt
 * got its effect. Stock Directus must show the effect (unless `stockStops`), the guarded one must not.
 */
const ATTEMPTS = [];
const attempt = (name, spec) => ATTEMPTS.push({ name, ...spec });

// ── Values Directus reads as a replace ──────────────────────────────────────────────────────────────
for (const [label, value] of [['null', 'null'], ['false', 'false'], ['0', '0'], ['""', '""']]) {
	attempt(`comments: ${label} empties a one-to-many (deselect delete)`, {
		run: (d, a) => rawCall(d, 'items', `{"action":"update","collection":"articles","keys":[${a.id}],"data":{"comments":${value}}}`),
		effect: (d, a) => commentsOf(d, a),
		happened: (before, after) => after < before,
	});
}
attempt('tags: null deletes the junction rows of a many-to-many', {
	run: (d, a) => jsonCall(d, 'items', { action: 'update', collection: 'articles', keys: [a.id], data: { tags: null } }),
	effect: (d, a) => junctionOf(d, a),
	happened: (before, after) => after < before,
});
attempt('comments: null inside a batch update', {
	run: (d, a) => jsonCall(d, 'items', { action: 'update', collection: 'articles', data: [{ id: a.id, comments: null }] }),
	effect: (d, a) => commentsOf(d, a),
	happened: (before, after) => after < before,
});
attempt('comments: null on an article reached through a nested comment update', {
	setup: async (d, a) => ({ other: await freshArticle(d) }),
	run: (d, a, s) =>
		jsonCall(d, 'items', { action: 'update', collection: 'comments', keys: [a.comments[1]], data: { article: { id: s.other.id, comments: null } } }),
	effect: (d, a, s) => commentsOf(d, s.other),
	happened: (before, after) => after < before,
});
attempt('comments: null in registry execute with stringified data', {
	run: (d, a) =>
		jsonCall(d, 'execute', { name: 'items', input: { action: 'update', collection: 'articles', keys: JSON.stringify([a.id]), data: JSON.stringify({ comments: null }) } }, { registry: true }),
	effect: (d, a) => commentsOf(d, a),
	happened: (before, after) => after < before,
});

// ── JSON text the guard cannot read as Directus does ────────────────────────────────────────────────
attempt('stringified data with a number past a double (JSON.parse reads Infinity)', {
	run: (d, a) => jsonCall(d, 'items', { action: 'update', collection: 'articles', keys: [a.id], data: '{"comments": null, "title": 1e400}' }),
	effect: (d, a) => commentsOf(d, a),
	happened: (before, after) => after < before,
});
attempt('stringified data with a lone surrogate', {
	run: (d, a) => jsonCall(d, 'items', { action: 'update', collection: 'articles', keys: [a.id], data: '{"comments": null, "title": "\\ud800"}' }),
	effect: (d, a) => commentsOf(d, a),
	happened: (before, after) => after < before,
});
attempt('stringified data with a duplicate key (the last one wins)', {
	run: (d, a) => jsonCall(d, 'items', { action: 'update', collection: 'articles', keys: [a.id], data: '{"comments": {"delete": []}, "comments": null}' }),
	effect: (d, a) => commentsOf(d, a),
	happened: (before, after) => after < before,
});

// ── Rows hidden at depth (caps of 5) ─────────────────────────────────────────────────────────────────
const bodies = (n, prefix) => Array.from({ length: n }, (_, i) => ({ body: `${prefix}-${i}` }));
const countBody = (d, prefix) => count(d, 'comments', { body: { _starts_with: prefix } });
attempt('a nested create of 6 rows under a one-row create', {
	setup: () => ({ prefix: `nested-create-${Math.random()}` }),
	run: (d, a, s) => jsonCall(d, 'items', { action: 'create', collection: 'articles', data: { title: 'x', comments: { create: bodies(6, s.prefix) } } }),
	effect: (d, a, s) => countBody(d, s.prefix),
	happened: (before, after) => after > before,
});
attempt('a nested replace array of 6 new rows', {
	setup: () => ({ prefix: `nested-replace-${Math.random()}` }),
	run: (d, a, s) => jsonCall(d, 'items', { action: 'create', collection: 'articles', data: { title: 'x', comments: bodies(6, s.prefix) } }),
	effect: (d, a, s) => countBody(d, s.prefix),
	happened: (before, after) => after > before,
});
attempt('rows created across three levels of nesting (7 in all)', {
	setup: () => ({ prefix: `deep-create-${Math.random()}` }),
	run: (d, a, s) =>
		jsonCall(d, 'items', {
			action: 'create',
			collection: 'articles',
			data: { title: 'x', comments: { create: [{ body: `${s.prefix}-a`, article: { title: 'y', comments: { create: bodies(4, s.prefix) } } }] } },
		}),
	effect: (d, a, s) => countBody(d, s.prefix),
	happened: (before, after) => after > before,
});
attempt('a 2-row nested create applied to 3 keys (6 rows)', {
	setup: async (d) => ({ prefix: `per-key-${Math.random()}`, more: [await freshArticle(d), await freshArticle(d)] }),
	run: (d, a, s) =>
		jsonCall(d, 'items', { action: 'update', collection: 'articles', keys: [a.id, ...s.more.map((m) => m.id)], data: { comments: { create: bodies(2, s.prefix) } } }),
	effect: (d, a, s) => countBody(d, s.prefix),
	happened: (before, after) => after > before,
});
attempt('a nested update of 6 existing rows under a one-key update', {
	setup: async (d) => ({ many: await freshArticle(d, 6), marker: `updated-${Math.random()}` }),
	run: (d, a, s) =>
		jsonCall(d, 'items', { action: 'update', collection: 'articles', keys: [s.many.id], data: { comments: { update: s.many.comments.map((id) => ({ id, body: s.marker })) } } }),
	effect: (d, a, s) => count(d, 'comments', { body: { _eq: s.marker } }),
	happened: (before, after) => after > before,
});

attempt('a replace array that deselects 6 rows, with Allow Deletes on (counted as Directus deletes them)', {
	guard: { mcp_allow_deletes: true },
	setup: async (d) => ({ many: await freshArticle(d, 7) }),
	run: (d, a, s) => jsonCall(d, 'items', { action: 'update', collection: 'articles', keys: [s.many.id], data: { comments: [{ id: s.many.comments[0] }] } }),
	effect: (d, a, s) => commentsOf(d, s.many),
	happened: (before, after) => after < before,
});

// ── Numbers read another way (read cap of 2) ─────────────────────────────────────────────────────────
/** Rows in a read's raw answer: the titles of the articles it returned. */
const rowsIn = (answer) => (answer.text.match(/victim /g) ?? []).length;
for (const [label, limit] of [['1e4', '1e4'], ['-1.0', '-1.0'], ['1E1', '1E1'], ['3.0', '3.0']]) {
	attempt(`limit: ${label} written as raw JSON`, {
		setup: async (d) => ({ more: [await freshArticle(d), await freshArticle(d)] }),
		run: (d) => rawCall(d, 'items', `{"action":"read","collection":"articles","query":{"limit":${limit},"fields":["title"]}}`),
		effect: (d, a, s, answer) => (answer ? rowsIn(answer) : 0),
		happened: (before, after) => after > 2,
	});
}
attempt('a read naming 3 keys and no limit (Directus reads one row per key)', {
	setup: async (d) => ({ more: [await freshArticle(d), await freshArticle(d)] }),
	run: (d, a, s) => jsonCall(d, 'items', { action: 'read', collection: 'articles', keys: [a.id, ...s.more.map((m) => m.id)], query: { fields: ['title'] } }),
	effect: (d, a, s, answer) => (answer ? rowsIn(answer) : 0),
	happened: (before, after) => after > 2,
});
attempt('limit: 1e4 inside stringified query text', {
	setup: async (d) => ({ more: [await freshArticle(d), await freshArticle(d)] }),
	run: (d) => jsonCall(d, 'items', { action: 'read', collection: 'articles', query: '{"limit": 1e4, "fields": ["title"]}' }),
	effect: (d, a, s, answer) => (answer ? rowsIn(answer) : 0),
	happened: (before, after) => after > 2,
});

// ── Aliases and depth in query paths (comments closed to MCP) ────────────────────────────────────────
const secretIn = (answer) => (answer?.text.includes(SECRET_COMMENT) ? 1 : 0);
attempt('alias {o: "comments"} used in a dotted field path', {
	guard: { mcp_guard_collections_deny: ['comments'] },
	run: (d, a) => jsonCall(d, 'items', { action: 'read', collection: 'articles', keys: [a.id], query: { alias: { o: 'comments' }, fields: ['id', 'o.body'] } }),
	effect: (d, a, s, answer) => secretIn(answer),
	happened: (before, after) => after > 0,
});
attempt('alias {o: "comments"} with o.* in registry mode', {
	guard: { mcp_guard_collections_deny: ['comments'] },
	run: (d, a) =>
		jsonCall(d, 'execute', { name: 'items', input: { action: 'read', collection: 'articles', keys: [a.id], query: { alias: { o: 'comments' }, fields: ['o.*'] } } }, { registry: true }),
	effect: (d, a, s, answer) => secretIn(answer),
	happened: (before, after) => after > 0,
});
attempt('an alias named like a plain field of the collection (title → comments)', {
	guard: { mcp_guard_collections_deny: ['comments'] },
	run: (d, a) => jsonCall(d, 'items', { action: 'read', collection: 'articles', keys: [a.id], query: { alias: { title: 'comments' }, fields: ['title.body'] } }),
	effect: (d, a, s, answer) => secretIn(answer),
	happened: (before, after) => after > 0,
});
attempt('a relational path hidden after a comma inside one fields entry', {
	guard: { mcp_guard_collections_deny: ['comments'] },
	run: (d, a) => jsonCall(d, 'items', { action: 'read', collection: 'articles', keys: [a.id], query: { fields: ['id,comments.body'] } }),
	effect: (d, a, s, answer) => secretIn(answer),
	happened: (before, after) => after > 0,
});
attempt('a relational path padded with spaces', {
	guard: { mcp_guard_collections_deny: ['comments'] },
	run: (d, a) => jsonCall(d, 'items', { action: 'read', collection: 'articles', keys: [a.id], query: { fields: ['id', ' comments.body '] } }),
	effect: (d, a, s, answer) => secretIn(answer),
	happened: (before, after) => after > 0,
});
attempt('count(comments) in a filter as a yes/no oracle on the denied collection', {
	guard: { mcp_guard_collections_deny: ['comments'] },
	run: (d, a) => jsonCall(d, 'items', { action: 'read', collection: 'articles', query: { filter: { _and: [{ id: { _eq: a.id } }, { 'count(comments)': { _gt: 1 } }] }, fields: ['title'] } }),
	effect: (d, a, s, answer) => (answer ? rowsIn(answer) : 0),
	happened: (before, after) => after > 0,
});
attempt('a relational filter on the denied collection nested 40 levels deep (a yes/no oracle)', {
	guard: { mcp_guard_collections_deny: ['comments'] },
	run: (d, a) => {
		let filter = { comments: { body: { _eq: SECRET_COMMENT } } };
		for (let i = 0; i < 40; i++) filter = { _and: [filter] };
		filter = { _and: [filter, { id: { _eq: a.id } }] };
		return jsonCall(d, 'items', { action: 'read', collection: 'articles', query: { filter, fields: ['title'] } });
	},
	// The oracle answers yes by returning the article.
	effect: (d, a, s, answer) => (answer ? rowsIn(answer) : 0),
	happened: (before, after) => after > 0,
});

// ── URLs parsed another way (the local listener stands for an internal service) ─────────────────────
const port = () => listener.address().port;
for (const [label, url] of [
	['backslash before @', () => `http://127.0.0.1:${port()}\\@allowed.example/x`],
	['credentials naming the allowed host', () => `http://allowed.example@127.0.0.1:${port()}/x`],
	['credentials with a port', () => `http://allowed.example:80@127.0.0.1:${port()}/x`],
	['hexadecimal IPv4', () => `http://0x7f.1:${port()}/x`],
	['integer IPv4', () => `http://2130706433:${port()}/x`],
	['percent-encoded host', () => `http://%31%32%37.0.0.1:${port()}/x`],
	['an IPv6-mapped IPv4 address', () => `http://[::ffff:127.0.0.1]:${port()}/x`],
	['a shortened IPv4 address in upper-case scheme', () => `HTTP://127.1:${port()}/x`],
]) {
	attempt(`files import from ${label}`, {
		run: (d) => jsonCall(d, 'files', { action: 'import', data: [{ url: url(), file: { title: 'imported' } }] }),
		effect: () => hits,
		happened: (before, after) => after > before,
	});
}

describe('attempts around the request-level judgement, judged by their effect', () => {
	for (const a of ATTEMPTS) {
		test(a.name, async () => {
			const results = {};
			for (const [side, directus] of [['stock', stock], ['guarded', guarded]]) {
				if (a.guard && side === 'guarded') await configureGuard(guarded, { ...GUARD, ...a.guard });
				try {
					const article = await freshArticle(directus);
					const state = (await a.setup?.(directus, article)) ?? {};
					const before = await a.effect(directus, article, state, null);
					const answer = await a.run(directus, article, state);
					const after = await a.effect(directus, article, state, answer);
					results[side] = { happened: a.happened(before, after), before, after, answer: answer?.text?.slice(0, 300) };
				} finally {
					if (a.guard && side === 'guarded') await configureGuard(guarded, GUARD);
				}
			}
			assert.ok(results.stock.happened, `the attempt has no effect even on stock Directus: ${JSON.stringify(results.stock)}`);
			assert.ok(!results.guarded.happened, `the attempt got through the guard: ${JSON.stringify(results.guarded)}`);
		});
	}

	test('calls within the caps and hosts keep working (the same shapes, allowed sizes)', async () => {
		const a = await freshArticle(guarded);
		const created = await callViaSdk(guarded, CONTENT_TOKEN, 'items', { action: 'create', collection: 'articles', data: { title: 'ok', comments: { create: bodies(3, 'fine') } } });
		assert.ok(!created.isError, JSON.stringify(created));
		const read = await rawCall(guarded, 'items', `{"action":"read","collection":"articles","query":{"limit":2e0,"fields":["title"]}}`);
		assert.ok(!read.json.result.isError, read.text);
		const aliased = await jsonCall(guarded, 'items', { action: 'read', collection: 'articles', keys: [a.id], query: { alias: { headline: 'title' }, fields: ['id', 'headline'] } });
		assert.ok(!aliased.json.result.isError, aliased.text);
		assert.match(aliased.text, /victim/);
		const before = hits;
		await configureGuard(guarded, { ...GUARD, mcp_guard_allowed_hosts: ['127.0.0.1'] });
		try {
			const imported = await jsonCall(guarded, 'files', { action: 'import', data: [{ url: `http://127.0.0.1:${port()}/ok.txt`, file: { title: 'ok' } }] });
			assert.ok(!imported.json.result.isError, imported.text);
			assert.ok(hits > before, 'the allowed import reached the listener');
		} finally {
			await configureGuard(guarded, GUARD);
		}
	});
});
