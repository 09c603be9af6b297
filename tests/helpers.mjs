// Shared helpers for the end-to-end tests: MCP clients (the official SDK and raw HTTP) and the audit log.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

export function mcpUrl(directus, { registry = false, path = '/mcp' } = {}) {
	return `${directus.url}${path}${registry ? '?tool_mode=registry' : ''}`;
}

/** An MCP SDK client, connected (initialize + initialized) as Claude, Cursor and others connect. */
export async function sdkClient(directus, token, options = {}) {
	const client = new Client({ name: 'mcp-guard-tests', version: '1.0.0' });
	const transport = new StreamableHTTPClientTransport(new URL(mcpUrl(directus, options)), {
		requestInit: { headers: { Authorization: `Bearer ${token}`, ...options.headers } },
	});
	await client.connect(transport);
	return client;
}

let rpcId = 1;

/** node:http, because fetch refuses a body on GET, and Directus reads one on any method. */
function httpRequest(url, { method, headers, body }) {
	return new Promise((resolve, reject) => {
		const req = request(url, { method, headers }, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (chunk) => (text += chunk));
			res.on('end', () => resolve({ status: res.statusCode, text }));
		});
		req.on('error', reject);
		// Node frames no body on GET unless told its length.
		if (body) req.setHeader('Content-Length', Buffer.byteLength(body));
		req.end(body);
	});
}

/** One raw HTTP request to /mcp. `body` may be an object (sent as JSON), or a string or Buffer (sent as is). */
export async function rawRpc(directus, token, body, { registry = false, method = 'POST', path = '/mcp', headers = {} } = {}) {
	const { status, text } = await httpRequest(mcpUrl(directus, { registry, path }), {
		method,
		headers: {
			'Content-Type': 'application/json',
			Accept: 'application/json, text/event-stream',
			...(token ? { Authorization: `Bearer ${token}` } : {}),
			...headers,
		},
		body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
	});
	let json = null;
	try {
		json = JSON.parse(text);
	} catch {
		/* not JSON */
	}
	return { status, text, json };
}

export function toolCall(name, args) {
	return { jsonrpc: '2.0', id: rpcId++, method: 'tools/call', params: { name, arguments: args } };
}

/** The `[{error, code, rule?, …}]` array Directus and the guard put in a tool error. */
export function toolErrors(result) {
	if (!result?.isError) return null;
	return JSON.parse(result.content[0].text);
}

/** The guard's denial in a tool result, or null when the guard let the call through. */
export function denial(result) {
	const error = toolErrors(result)?.[0];
	return error?.code === 'MCP_GUARD_DENIED' ? error : null;
}

/** Asserts that the guard refused the call by `rule`, saying why and what to do; returns the denial. */
export function assertDenied(result, rule) {
	const d = denial(result);
	assert.ok(d, `expected a denial by ${rule}, got ${JSON.stringify(result).slice(0, 500)}`);
	assert.equal(d.rule, rule, d.reason);
	assert.ok(d.reason && d.remedy, 'a denial says why and what to do');
	return d;
}

export async function callViaSdk(directus, token, name, args, options = {}) {
	const client = await sdkClient(directus, token, options);
	try {
		return await client.callTool({ name, arguments: args });
	} finally {
		await client.close();
	}
}

export async function callViaHttp(directus, token, name, args, options = {}) {
	const { status, json, text } = await rawRpc(directus, token, toolCall(name, args), options);
	if (status !== 200 || !json?.result) throw new Error(`unexpected answer ${status}: ${text}`);
	return json.result;
}

export const CLIENTS = { sdk: callViaSdk, http: callViaHttp };

export async function count(directus, collection, filter) {
	const query = filter ? `&filter=${encodeURIComponent(JSON.stringify(filter))}` : '';
	const rows = await directus.api('GET', `/items/${collection}?aggregate[count]=*${query}`);
	return Number(rows[0].count);
}

export async function auditRows(directus) {
	return directus.api('GET', '/items/mcp_guard_log?limit=-1&sort=timestamp');
}

/** Runs `action` and returns the audit rows it added, waiting for the asynchronous writes to land. */
export async function withAudit(directus, action, { expect = 1, method = 'tools/call' } = {}) {
	const before = new Set((await auditRows(directus)).map((r) => r.id));
	// Rows of earlier calls can still be landing (they are written after the answer): only rows stamped
	// after this point belong to `action`.
	const startedAt = Date.now();
	const result = await action();
	const deadline = Date.now() + 10_000;
	for (;;) {
		const added = (await auditRows(directus)).filter(
			(r) => !before.has(r.id) && new Date(r.timestamp).getTime() >= startedAt && (!method || r.rpc_method === method),
		);
		const settled = added.filter((r) => r.outcome !== 'pending');
		if (settled.length >= expect) return { result, rows: added };
		if (Date.now() > deadline) throw new Error(`expected ${expect} audit rows for ${method}, found ${JSON.stringify(added)}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

const manifest = JSON.parse(readFileSync(new URL('../extension.json', import.meta.url)));
/** The guard's own settings: each a column on directus_settings. */
const GUARD_SETTINGS = manifest.settings.filter((s) => s.type !== 'presentation');
export const GUARD_SETTINGS_FIELDS = GUARD_SETTINGS.map((s) => s.field);
/** Every guard setting at its declared default (lists empty), and Allow Deletes off. */
const GUARD_DEFAULTS = Object.fromEntries([['mcp_allow_deletes', false], ...GUARD_SETTINGS.map((s) => [s.field, s.default ?? null])]);

/** Saves the guard's settings: the defaults, changed by `changes`. */
export function configureGuard(directus, changes = {}) {
	return directus.api('PATCH', '/settings', { ...GUARD_DEFAULTS, ...changes });
}
