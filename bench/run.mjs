// npm run bench: what MCP Guard costs, measured against the unguarded path in the same run.
//
// 1. Real Directus 12.4.0 instances on SQLite, same data: one with the guard, one without, and optionally one
//    with the guard as built from an earlier commit (BENCH_BASELINE=<git ref>), to measure a regression
//    directly. An MCP SDK client calls them all, interleaved in random order call by call, so all see the
//    same machine load. Prints p50/p99 of an items read and an items update, ratios, each process's CPU per
//    call, and the CPU the guard adds per call (steadier than the ratio, which also moves with how fast
//    Directus's own work runs that day). The calls run in rounds; the p50 ratio reported is the median of
//    the rounds' ratios, which shared machines need (an A/A run, both instances unguarded, moves by about 2
//    points between runs).
// 2. The core's decision time per call in Node (the built WASM, no Directus), in µs.
//
// By default (`npm run bench`) the run is the fairest one: two instances of each side, started guarded,
// filter off, unguarded, unguarded, filter off, guarded, and compared pooled, 7 rounds, so that both read
// targets are measured in one run: the foundation's (5%) for its feature set, the guard with its answer
// filter off (redaction and injection defence, FILTER_OFF_SETTINGS), and the answer filter's (8%) for the
// guard with its defaults.
//
// Options (env): BENCH_ROUNDS (default 7), BENCH_CALLS (per round, kind and instance; default 200),
// BENCH_WARMUP (default 50), BENCH_NO_BUILD=1 to measure dist/ as it is, BENCH_ABBA=0 for one instance of
// each side (started in random order), BENCH_FILTER_OFF=0 for no filter-off instances, BENCH_BASELINE=<git
// ref> to add that commit's build (one instance of each side), BENCH_CONTROL=1 to add a second unguarded
// instance (its ratio to the first is the noise of the run: the two differ in nothing; one instance of each
// side), BENCH_DIRECTUS_NODE_OPTIONS for Node options given to every Directus instance, BENCH_DIRECTUS_ENV
// for more Directus settings given to every instance, as JSON (e.g. '{"CACHE_SCHEMA_FREEZE_ENABLED":"true"}'),
// BENCH_MIXED=1 for an untimed update to every instance before every 50th read, so that reads run as in a
// session that also writes (the guard keeps the delete tripwire's AsyncLocalStorage on for 10 s after one),
// BENCH_FIELDS_ONLY=1 to add an unguarded instance given the guard's fields (its settings on directus_settings
// and the mcp_guard_log collection, copied from a guarded instance) but not the extension: what the fields
// alone cost, since Directus deep-clones its whole schema for every request, and what the guard's code adds
// on top of them (two such instances in the balanced run). An upper bound on the fields' share: a guarded
// instance takes its settings out of each MCP request's copy of the schema (js/guard.js), these cannot.
import { performance } from 'node:perf_hooks';
import { readFileSync, existsSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from '../scripts/build.mjs';
import { startDirectus, repoRoot } from '../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../scripts/lib/seed.mjs';
import { sdkClient } from '../tests/helpers.mjs';

/** An on/off option: on when set to anything but 0 or nothing, else `fallback`. */
const option = (name, fallback) => (process.env[name] === undefined ? fallback : !['', '0'].includes(process.env[name]));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);
const BASELINE = process.env.BENCH_BASELINE;
const CONTROL = option('BENCH_CONTROL', false);
const ABBA = option('BENCH_ABBA', !(BASELINE || CONTROL));
const MIXED = option('BENCH_MIXED', false);
const FIELDS_ONLY = option('BENCH_FIELDS_ONLY', false);
const FILTER_OFF = option('BENCH_FILTER_OFF', true);
/** Every redaction rule and the injection scan off: the guard then hands no answer to its filter. */
const FILTER_OFF_SETTINGS = { mcp_guard_redact_field_rules: false, mcp_guard_redact_values: false, mcp_guard_redact_contact: false, mcp_guard_injection_mode: 'off' };
const WRITE_EVERY = 50;

/** A uniformly random order (Fisher–Yates). Sorting with a random comparator is not: with three instances it
 * put the second in the middle two times in three, so it was almost never called twice in a row. */
function shuffled(items) {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(Math.random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}
/** The instances of a run, in the order they were started, then any pooled groups. */
const instanceNames = (e2e) => Object.keys(Object.values(e2e)[0].cpuPerCall);
/** Adds each group of `groups` (label → instance names) to `byName`, pooling its members' values with `pool`. */
function addGroups(byName, groups, pool) {
	for (const [label, members] of Object.entries(groups)) byName[label] = pool(members.map((n) => byName[n]));
}
const pooledCalls = (lists) => lists.flat();
const summed = (values) => values.reduce((sum, v) => sum + v, 0);
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n, digits = 2) => n.toFixed(digits);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time a process has used, in ms (Linux: the scheduler's count in ns; NaN elsewhere, so that every
 * figure made from it is NaN and the CPU table is left out). */
function cpuMsOf(pid) {
	try {
		return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
	} catch {
		return NaN;
	}
}

/** Builds `ref` in a git worktree under .cache/ (kept between runs) and returns its folder. */
function buildBaseline(ref) {
	const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: repoRoot, encoding: 'utf8' }).trim();
	const dir = join(repoRoot, '.cache', `bench-baseline-${sha}`);
	if (!existsSync(join(dir, 'dist', 'api.js'))) {
		if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: repoRoot, stdio: 'inherit' });
		if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
		execFileSync('node', ['scripts/build.mjs'], { cwd: dir, stdio: 'inherit' });
	}
	return { dir, sha };
}

/** A field as `GET /fields` describes it, as `POST /fields` (or a new collection's `fields`) takes it. */
function fieldDefinition({ field, type, meta, schema }) {
	const { id, collection, ...ownMeta } = meta ?? {};
	const column = schema && { is_nullable: schema.is_nullable, default_value: schema.default_value, is_primary_key: schema.is_primary_key, max_length: schema.max_length };
	return { field, type, meta: meta && ownMeta, schema: column ?? undefined };
}

/** Gives `to` the fields the guard made in `from`: its settings and its log collection. */
async function copyGuardFields(from, to) {
	const settings = (await from.api('GET', '/fields/directus_settings')).filter((f) => f.field.startsWith('mcp_guard_'));
	for (const field of settings) await to.api('POST', '/fields/directus_settings', fieldDefinition(field));
	const { collection, meta } = await from.api('GET', '/collections/mcp_guard_log');
	const { collection: _, ...ownMeta } = meta;
	const fields = (await from.api('GET', '/fields/mcp_guard_log')).map(fieldDefinition);
	await to.api('POST', '/collections', { collection, meta: ownMeta, schema: {}, fields });
	const count = async (d) => (await d.api('GET', '/fields')).length;
	const [expected, got] = [await count(from), await count(to)];
	if (expected !== got) throw new Error(`the fields-only instance has ${got} fields, the guarded one ${expected}`);
}

/** Saves `settings` on `directus` and checks that they were saved as given. */
async function setGuardSettings(directus, settings) {
	const saved = await directus.api('PATCH', '/settings', settings);
	const differing = Object.keys(settings).filter((field) => saved[field] !== settings[field]);
	if (differing.length > 0) throw new Error(`the guard's settings were not saved as given: ${differing.join(', ')}`);
}

/**
 * `groups`: label → instance names whose calls are pooled, as if they were one instance. `startOrder`: by
 * default random, and printed: of two guarded instances of one build, the one started earlier was the slower,
 * by 1.3 to 2.8 points, in every A/A run (see the README), so a fixed order would favour one side every time.
 */
async function endToEnd(variants, { groups = {}, startOrder = shuffled(variants) } = {}) {
	const instances = {};
	console.log(`Start order: ${startOrder.map((v) => v.name).join(', ')}\n`);
	for (const { name, guard, extensionFrom, guardFields, guardSettings } of startOrder) {
		const env = {
			...JSON.parse(process.env.BENCH_DIRECTUS_ENV ?? '{}'),
			...(process.env.BENCH_DIRECTUS_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_DIRECTUS_NODE_OPTIONS } : {}),
		};
		const directus = await startDirectus({ name: `bench-${name}`, guard, env, extensionFrom });
		await seed(directus);
		const { articleIds } = await seedRows(directus, 20);
		if (guardSettings) await setGuardSettings(directus, guardSettings);
		instances[name] = { directus, client: await sdkClient(directus, CONTENT_TOKEN), articleIds, guard, guardFields };
	}
	const template = Object.values(instances).find((i) => i.guard);
	for (const inst of Object.values(instances)) if (inst.guardFields) await copyGuardFields(template.directus, inst.directus);
	const names = Object.keys(instances);
	const READ = 'items read (20 rows)';
	const UPDATE = 'items update (1 row)';
	const kinds = {
		[READ]: (i) => ({ name: 'items', arguments: { action: 'read', collection: 'articles', query: { fields: ['id', 'title'], limit: 20 } } }),
		[UPDATE]: (i, inst) => ({ name: 'items', arguments: { action: 'update', collection: 'articles', keys: [inst.articleIds[i % inst.articleIds.length]], data: { title: `t${i}` } } }),
	};
	/** Call `i` of `kind` to instance `name`; a failure says which, and whether its Directus still runs. */
	const call = async (kind, name, i) => {
		let result;
		try {
			result = await instances[name].client.callTool(kinds[kind](i, instances[name]));
		} catch (error) {
			throw new Error(`${kind} call ${i} to ${name} failed (${error?.cause?.message ?? error?.message}); Directus ${instances[name].directus.state}`, { cause: error });
		}
		if (result.isError) throw new Error(`${kind} failed on ${name}: ${JSON.stringify(result)}`);
		return result;
	};
	const results = {};
	try {
		for (const kind of Object.keys(kinds)) {
			for (let i = 0; i < WARMUP; i++) for (const name of names) await call(kind, name, i);
			const all = Object.fromEntries(names.map((n) => [n, []]));
			const rounds = [];
			const cpuBefore = Object.fromEntries(names.map((n) => [n, cpuMsOf(instances[n].directus.pid)]));
			for (let round = 0; round < ROUNDS; round++) {
				const samples = Object.fromEntries(names.map((n) => [n, []]));
				for (let i = 0; i < CALLS; i++) {
					if (MIXED && kind === READ && i % WRITE_EVERY === 0) for (const name of names) await call(UPDATE, name, i);
					const order = shuffled(names);
					for (const name of order) {
						const started = performance.now();
						await call(kind, name, round * CALLS + i);
						samples[name].push(performance.now() - started);
					}
				}
				addGroups(samples, groups, pooledCalls);
				rounds.push(Object.fromEntries(Object.entries(samples).map(([n, xs]) => [n, percentile([...xs].sort((a, b) => a - b), 50)])));
				for (const name of names) all[name].push(...samples[name]);
			}
			addGroups(all, groups, pooledCalls);
			const cpuUsed = Object.fromEntries(names.map((n) => [n, cpuMsOf(instances[n].directus.pid) - cpuBefore[n]]));
			addGroups(cpuUsed, groups, summed);
			results[kind] = {
				stats: Object.fromEntries(
					Object.entries(all).map(([name, xs]) => {
						const sorted = xs.sort((a, b) => a - b);
						return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
					}),
				),
				rounds,
				// Everything the process did, per call: the guard's work, garbage collection, audit writes.
				cpuPerCall: Object.fromEntries(Object.entries(cpuUsed).map(([n, ms]) => [n, ms / all[n].length])),
			};
		}
	} finally {
		for (const inst of Object.values(instances)) {
			await inst.client.close();
			await inst.directus.stop();
		}
	}
	return results;
}

async function coreDecisionTime() {
	const { initSync, Guard } = await import('../pkg/mcp_guard.js');
	const { requestCalls, readRecord } = await import('../js/core.js');
	initSync({ module: readFileSync(new URL('../dist/mcp_guard_bg.wasm', import.meta.url)) });
	const guard = new Guard();
	const calls = requestCalls(guard);
	guard.setSchema(JSON.stringify({ primary_keys: { articles: 'id', comments: 'id' }, singletons: [], relations: [{ collection: 'comments', field: 'article', related_collection: 'articles', one_field: 'comments', one_collection_field: null, one_deselect_action: 'delete' }] }));
	guard.setSettings(JSON.stringify({ mcp_guard_enabled: true, mcp_allow_deletes: false }));
	// An instance without flows: items calls are judged with its (empty) flow graph, as in Directus.
	guard.setFlows(JSON.stringify({ flows: [], operations: [] }));
	const context = { tool_mode: 'legacy', caller: { user: 'u', role: 'r', admin: false, ip: '127.0.0.1', user_agent: 'bench', oauth_client: null }, accepts_json: true, received_ms: Date.now() };
	const messages = {
		'items read': { action: 'read', collection: 'articles', query: { fields: ['id', 'title'], limit: 20 } },
		'nested update': { action: 'update', collection: 'articles', keys: [1], data: { title: 'x', comments: { create: [{ body: 'a' }], delete: [3] } } },
	};
	const out = {};
	// In batches, as in Directus: a call that changes nothing leaves its record in the core, and the audit
	// batch takes it (writes it out) off the request's path.
	const BATCH = 1000;
	for (const [name, args] of Object.entries(messages)) {
		const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'items', arguments: args } }));
		const judge = () => calls.inspect(body, context, undefined).ok?.audit;
		const takeAll = (audits) => audits.forEach(readRecord);
		const first = judge();
		if (!first) throw new Error(`the core could not judge the ${name} message`);
		readRecord(first);
		for (let i = 0; i < 2; i++) takeAll(Array.from({ length: BATCH }, judge));
		let [pathMs, batchMs] = [0, 0];
		for (let b = 0; b < 20; b++) {
			let started = performance.now();
			const audits = Array.from({ length: BATCH }, judge);
			pathMs += performance.now() - started;
			started = performance.now();
			takeAll(audits);
			batchMs += performance.now() - started;
		}
		out[name] = { path: (pathMs * 1000) / (20 * BATCH), batch: (batchMs * 1000) / (20 * BATCH) };
	}
	return out;
}

if (!process.env.BENCH_NO_BUILD) build();
const variants = [
	{ name: 'guarded', guard: true },
	{ name: 'unguarded', guard: false },
];
let design = {};
let pairs;
if (ABBA) {
	// Two instances of each, started guarded, unguarded, unguarded, guarded: whatever starting earlier or
	// later does to an instance (README: A/A runs), both sides get the same share of it.
	if (BASELINE || CONTROL) throw new Error('the balanced run (BENCH_ABBA) takes no BENCH_BASELINE or BENCH_CONTROL');
	variants.push({ name: 'unguarded-b', guard: false }, { name: 'guarded-b', guard: true });
	const groups = { 'guarded ×2': ['guarded', 'guarded-b'], 'unguarded ×2': ['unguarded', 'unguarded-b'] };
	pairs = [
		['guarded ×2', 'unguarded ×2'],
		['guarded-b', 'guarded'],
		['unguarded-b', 'unguarded'],
	];
	if (FIELDS_ONLY) {
		// Started second and second to last, so that they too get both ends of the start order.
		variants.splice(1, 0, { name: 'fields only', guard: false, guardFields: true });
		variants.splice(4, 0, { name: 'fields only-b', guard: false, guardFields: true });
		groups['fields only ×2'] = ['fields only', 'fields only-b'];
		pairs.push(['fields only ×2', 'unguarded ×2'], ['guarded ×2', 'fields only ×2']);
	}
	if (FILTER_OFF) {
		// Next to the guarded ones in the start order, so that they too get both ends of it.
		variants.splice(1, 0, { name: 'filter off', guard: true, guardSettings: FILTER_OFF_SETTINGS });
		variants.splice(variants.length - 1, 0, { name: 'filter off-b', guard: true, guardSettings: FILTER_OFF_SETTINGS });
		groups['filter off ×2'] = ['filter off', 'filter off-b'];
		pairs.push(['filter off ×2', 'unguarded ×2'], ['guarded ×2', 'filter off ×2']);
	}
	design = { startOrder: variants, groups };
} else {
	if (BASELINE) {
		const baseline = buildBaseline(BASELINE);
		variants.push({ name: `baseline-${baseline.sha}`, guard: true, extensionFrom: baseline.dir });
	}
	if (CONTROL) variants.push({ name: 'control', guard: false });
	if (FIELDS_ONLY) variants.push({ name: 'fields only', guard: false, guardFields: true });
	if (FILTER_OFF) variants.push({ name: 'filter off', guard: true, guardSettings: FILTER_OFF_SETTINGS });
	pairs = [
		['guarded', 'unguarded'],
		...variants.slice(2).flatMap((b) => (b.guard || b.guardFields ? [[b.name, 'unguarded'], ['guarded', b.name]] : [[b.name, 'unguarded']])),
	];
}
console.log(`\nMCP Guard benchmark — ${ROUNDS} rounds of ${CALLS} calls per kind per instance after ${WARMUP} warm-up calls, interleaved${MIXED ? `; an untimed update to each instance before every ${WRITE_EVERY}th read` : ''}\n`);
const e2e = await endToEnd(variants, design);
console.log('End to end through Directus 12.4.0 (MCP SDK client, SQLite), latency in ms:');
console.log('| call | instance | p50 | p99 |');
console.log('|---|---|---|---|');
for (const [kind, r] of Object.entries(e2e)) for (const [name, st] of Object.entries(r.stats)) console.log(`| ${kind} | ${name} | ${fmt(st.p50)} | ${fmt(st.p99)} |`);
console.log('\nRatios (p50: median of the rounds\' p50 ratios, with every round; p99: of all calls):');
console.log('| call | ratio | p50 ratio | rounds | p99 ratio |');
console.log('|---|---|---|---|---|');
/** The p50 ratio of `a` to `b` in each round, sorted. */
const roundRatios = (r, a, b) => r.rounds.map((round) => round[a] / round[b]).sort((x, y) => x - y);
for (const [kind, r] of Object.entries(e2e)) {
	for (const [a, b] of pairs) {
		const ratios = roundRatios(r, a, b);
		console.log(`| ${kind} | ${a} / ${b} | ${fmt(median(ratios), 3)} | ${ratios.map((x) => fmt(x, 3)).join(' ')} | ${fmt(r.stats[a].p99 / r.stats[b].p99, 3)} |`);
	}
}
// The read targets: the foundation's for its feature set (the answer filter off, when measured), the answer
// filter's for the defaults (redaction and injection defence on).
const reads = e2e['items read (20 rows)'];
const targets = [[...pairs[0], 1.08, 'defaults, target of the answer filter'], ...pairs.filter(([a, b]) => a.startsWith('filter off') && b.startsWith('unguarded')).map(([a, b]) => [a, b, 1.05, 'answer filter off, target of the foundation'])];
console.log('\nRead targets (p50 ratio, median of the rounds):');
for (const [a, b, limit, what] of targets) {
	const ratio = median(roundRatios(reads, a, b));
	console.log(`- ${a} / ${b} (${what}, at most ${limit}): ${fmt(ratio, 3)}, ${ratio <= limit ? 'met' : 'not met'}`);
}
if (Object.values(e2e).every((r) => Object.values(r.cpuPerCall).every(Number.isFinite))) {
	console.log('\nCPU time of each Directus process per call, ms (all of its work, garbage collection and audit writes included;');
	console.log('steadier than latency, so it shows small changes that latency hides):');
	const names = instanceNames(e2e);
	console.log(`| call | ${names.join(' | ')} | ${pairs.map(([a, b]) => `${a} / ${b}`).join(' | ')} |`);
	console.log(`|---|${names.map(() => '---|').join('')}${pairs.map(() => '---|').join('')}`);
	for (const [kind, r] of Object.entries(e2e)) {
		const c = r.cpuPerCall;
		console.log(`| ${kind} | ${names.map((n) => fmt(c[n], 3)).join(' | ')} | ${pairs.map(([a, b]) => fmt(c[a] / c[b], 3)).join(' | ')} |`);
	}
	// The difference is what the guard adds; the ratio also moves with how fast Directus's own work runs that day.
	const [guarded, unguarded] = pairs[0];
	console.log(`
CPU the guard adds per call (${guarded} − ${unguarded}), ms:`);
	for (const [kind, r] of Object.entries(e2e)) console.log(`- ${kind}: ${fmt(r.cpuPerCall[guarded] - r.cpuPerCall[unguarded], 3)} ms`);
}
const core = await coreDecisionTime();
console.log('\nCore decision time in Node (WASM inspect: parse, classify, decide, and the audit record; a call that changes');
console.log('nothing has its record written in the audit batch instead, taken from the core and parsed), µs per call:');
for (const [name, us] of Object.entries(core)) console.log(`- ${name}: ${fmt(us.path, 1)} µs on the request's path, ${fmt(us.batch, 1)} µs in the audit batch`);
