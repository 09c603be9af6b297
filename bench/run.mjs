// npm run bench: what MCP Guard costs, measured against the unguarded path in the same run.
//
// 1. Two real Directus 12.4.0 instances on SQLite, one with the guard and one without, same data. An MCP SDK
//    client calls both, interleaved in random order pair by pair, so both see the same machine load.
//    Prints p50/p99 of an items read and an items update, and guarded/unguarded ratios. The calls run in
//    rounds; the p50 ratio reported is the median of the rounds' ratios, which shared machines need (an
//    A/A run, both instances unguarded, moves by about 2 points between runs).
// 2. The core's decision time per call in Node (the built WASM, no Directus), in µs.
//
// Options (env): BENCH_ROUNDS (default 5), BENCH_CALLS (per round, kind and instance; default 200),
// BENCH_WARMUP (default 50), BENCH_NO_BUILD=1 to measure dist/ as it is, BENCH_DIRECTUS_NODE_OPTIONS for
// Node options given to both Directus instances (e.g. --experimental-async-context-frame).
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { build } from '../scripts/build.mjs';
import { startDirectus } from '../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../scripts/lib/seed.mjs';
import { sdkClient } from '../tests/helpers.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n, digits = 2) => n.toFixed(digits);

async function endToEnd() {
	const instances = {};
	for (const [name, guard] of [['guarded', true], ['unguarded', false]]) {
		const env = process.env.BENCH_DIRECTUS_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_DIRECTUS_NODE_OPTIONS } : {};
		const directus = await startDirectus({ name: `bench-${name}`, guard, env });
		await seed(directus);
		const { articleIds } = await seedRows(directus, 20);
		instances[name] = { directus, client: await sdkClient(directus, CONTENT_TOKEN), articleIds };
	}
	const kinds = {
		'items read (20 rows)': (i) => ({ name: 'items', arguments: { action: 'read', collection: 'articles', query: { fields: ['id', 'title'], limit: 20 } } }),
		'items update (1 row)': (i, inst) => ({ name: 'items', arguments: { action: 'update', collection: 'articles', keys: [inst.articleIds[i % inst.articleIds.length]], data: { title: `t${i}` } } }),
	};
	const results = {};
	try {
		for (const [kind, makeCall] of Object.entries(kinds)) {
			const call = (name, i) => instances[name].client.callTool(makeCall(i, instances[name]));
			for (let i = 0; i < WARMUP; i++) for (const name of ['guarded', 'unguarded']) await call(name, i);
			const all = { guarded: [], unguarded: [] };
			const roundRatios = [];
			for (let round = 0; round < ROUNDS; round++) {
				const samples = { guarded: [], unguarded: [] };
				for (let i = 0; i < CALLS; i++) {
					const order = Math.random() < 0.5 ? ['guarded', 'unguarded'] : ['unguarded', 'guarded'];
					for (const name of order) {
						const started = performance.now();
						const result = await call(name, round * CALLS + i);
						const elapsed = performance.now() - started;
						if (result.isError) throw new Error(`${kind} failed on ${name}: ${JSON.stringify(result)}`);
						samples[name].push(elapsed);
					}
				}
				const p50 = (s) => percentile([...s].sort((a, b) => a - b), 50);
				roundRatios.push(p50(samples.guarded) / p50(samples.unguarded));
				for (const name of ['guarded', 'unguarded']) all[name].push(...samples[name]);
			}
			results[kind] = {
				...Object.fromEntries(
					Object.entries(all).map(([name, s]) => {
						const sorted = s.sort((a, b) => a - b);
						return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
					}),
				),
				roundRatios,
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
	initSync({ module: readFileSync(new URL('../dist/mcp_guard_bg.wasm', import.meta.url)) });
	const guard = new Guard();
	guard.setSchema(JSON.stringify({ primary_keys: { articles: 'id', comments: 'id' }, singletons: [], relations: [{ collection: 'comments', field: 'article', related_collection: 'articles', one_field: 'comments', one_collection_field: null, one_deselect_action: 'delete' }] }));
	guard.setSettings(JSON.stringify({ mcp_guard_enabled: true, mcp_allow_deletes: false }));
	const context = JSON.stringify({ tool_mode: 'legacy', caller: { user: 'u', role: 'r', admin: false, ip: '127.0.0.1', user_agent: 'bench', oauth_client: null }, accepts_json: true });
	const messages = {
		'items read': { action: 'read', collection: 'articles', query: { fields: ['id', 'title'], limit: 20 } },
		'nested update': { action: 'update', collection: 'articles', keys: [1], data: { title: 'x', comments: { create: [{ body: 'a' }], delete: [3] } } },
	};
	const out = {};
	for (const [name, args] of Object.entries(messages)) {
		const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'items', arguments: args } });
		const n = 20_000;
		for (let i = 0; i < 2000; i++) guard.inspect(body, context, undefined);
		const started = performance.now();
		for (let i = 0; i < n; i++) guard.inspect(body, context, undefined);
		out[name] = ((performance.now() - started) * 1000) / n;
	}
	return out;
}

if (!process.env.BENCH_NO_BUILD) build();
console.log(`\nMCP Guard benchmark — ${ROUNDS} rounds of ${CALLS} calls per kind per instance after ${WARMUP} warm-up calls, interleaved\n`);
const e2e = await endToEnd();
console.log('End to end through Directus 12.4.0 (MCP SDK client, SQLite), latency in ms:');
console.log('| call | unguarded p50 | guarded p50 | p50 ratio (median of rounds) | rounds | unguarded p99 | guarded p99 | p99 ratio |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [kind, r] of Object.entries(e2e)) {
	const ratios = [...r.roundRatios].sort((a, b) => a - b);
	const median = ratios[Math.floor(ratios.length / 2)];
	console.log(
		`| ${kind} | ${fmt(r.unguarded.p50)} | ${fmt(r.guarded.p50)} | ${fmt(median, 3)} | ${ratios.map((x) => fmt(x, 3)).join(' ')} | ${fmt(r.unguarded.p99)} | ${fmt(r.guarded.p99)} | ${fmt(r.guarded.p99 / r.unguarded.p99, 3)} |`,
	);
}
const core = await coreDecisionTime();
console.log('\nCore decision time in Node (WASM inspect: parse, classify, decide, audit record), µs per call:');
for (const [name, us] of Object.entries(core)) console.log(`- ${name}: ${fmt(us, 1)} µs`);
