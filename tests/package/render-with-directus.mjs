// Renders flow option templates with Directus's own `applyOptionsData` (from the Directus runtime the e2e
// tests use), for the core's differential test (src/template_tests.rs). Reads one case a line on stdin,
// `{args, options}` with `args` a trigger-flow call's arguments; writes one line a case,
// `{results: {<option>: {value} | {error}}}`. `$trigger` is built as Directus's trigger-flow tool builds it.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const runtime = process.env.MCP_GUARD_DIRECTUS_DIR;
if (!runtime) throw new Error('MCP_GUARD_DIRECTUS_DIR must name the Directus runtime');
const require = createRequire(join(runtime, 'node_modules', 'directus', 'package.json'));
const { applyOptionsData } = await import(require.resolve('@directus/utils'));

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
	if (!line.trim()) continue;
	const { args, options } = JSON.parse(line);
	const trigger = {
		path: `/trigger/${args.id}`,
		query: args.query ?? {},
		method: 'POST',
		body: { collection: args.collection, keys: args.keys, ...(args.data ?? {}) },
		headers: args.headers ?? {},
	};
	const keyedData = { $trigger: trigger, $last: trigger, $accountability: null, $env: {} };
	const results = {};
	for (const [key, option] of Object.entries(options)) {
		try {
			results[key] = { value: applyOptionsData({ [key]: option }, keyedData)[key] ?? null };
		} catch (error) {
			results[key] = { error: String(error?.message ?? error) };
		}
	}
	process.stdout.write(`${JSON.stringify({ results })}\n`);
}
