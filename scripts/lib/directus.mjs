// Starts a throwaway Directus 12.4.0 on SQLite with MCP Guard installed from the packed build output,
// exactly as a user installs it: the `npm pack` tarball unpacked into EXTENSIONS_PATH/<folder>/.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureDirectus, node22Bin, directusCli } from '../ensure-directus.mjs';

const execFileAsync = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'mcp-guard-admin';

export async function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

export const repoRoot = root;

/**
 * Unpacks `npm pack` of a built checkout (this repository unless `from` says otherwise) into
 * `extensionsDir/mcp-guard`, as a user installs it.
 */
export function installPackedExtension(extensionsDir, folder = 'mcp-guard', from = root) {
	if (!existsSync(join(from, 'dist', 'api.js'))) throw new Error(`${from}/dist is missing: run \`npm run build\` first`);
	const packDir = join(extensionsDir, '.pack');
	mkdirSync(packDir, { recursive: true });
	const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: from, encoding: 'utf8' }).trim().split('\n').pop();
	execFileSync('tar', ['-xzf', join(packDir, tarball), '-C', packDir]);
	const target = join(extensionsDir, folder);
	rmSync(target, { recursive: true, force: true });
	renameSync(join(packDir, 'package'), target);
	rmSync(packDir, { recursive: true, force: true });
	return target;
}

/**
 * @param {object} options
 * @param {string} options.name       folder name under tests/.runs (or an absolute directory)
 * @param {boolean} [options.guard]   install MCP Guard (default true)
 * @param {string} [options.extensionFrom] a built checkout to install the guard from (default: this one)
 * @param {object} [options.env]      extra environment
 * @param {string} [options.dir]      run directory (replaced), instead of tests/.runs/<name>-<pid>
 * @param {number} [options.port]     port to listen on (default: a free one)
 * @param {boolean} [options.quiet]   keep Directus's output to the instance log instead of stderr
 * @param {boolean} [options.reuse]   start again on the database a stopped instance left in `dir`
 */
export async function startDirectus({ name, guard = true, extensionFrom = root, env = {}, dir: givenDir, port: givenPort, quiet = true, reuse = false } = {}) {
	ensureDirectus();
	const dir = givenDir ?? join(root, 'tests', '.runs', `${name}-${process.pid}`);
	if (!reuse) rmSync(dir, { recursive: true, force: true });
	const extensionsDir = join(dir, 'extensions');
	mkdirSync(extensionsDir, { recursive: true });
	mkdirSync(join(dir, 'uploads'), { recursive: true });
	// Directus loads no extension at all unless the folder it runs in has a package.json.
	writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'directus-project', private: true }));
	if (guard) installPackedExtension(extensionsDir, 'mcp-guard', extensionFrom);

	const port = givenPort ?? (await freePort());
	const url = `http://127.0.0.1:${port}`;
	const fullEnv = {
		...process.env,
		PATH: `${node22Bin}:${process.env.PATH}`,
		DB_CLIENT: 'sqlite3',
		DB_FILENAME: join(dir, 'data.db'),
		KEY: 'mcp-guard-test-key',
		SECRET: 'mcp-guard-test-secret-that-is-long-enough',
		ADMIN_EMAIL,
		ADMIN_PASSWORD,
		PROJECT_OWNER: ADMIN_EMAIL,
		PORT: String(port),
		HOST: '127.0.0.1',
		PUBLIC_URL: url,
		EXTENSIONS_PATH: extensionsDir,
		STORAGE_LOCAL_ROOT: join(dir, 'uploads'),
		EXTENSIONS_MUST_LOAD: 'true',
		EXTENSIONS_AUTO_RELOAD: 'false',
		MCP_ENABLED: 'true',
		TELEMETRY: 'false',
		LOG_LEVEL: process.env.DIRECTUS_LOG_LEVEL ?? 'warn',
		RATE_LIMITER_ENABLED: 'false',
		CACHE_ENABLED: 'false',
		ACCESS_TOKEN_TTL: '1h',
		...env,
	};
	const node = join(node22Bin, 'node');
	execFileSync(node, [directusCli, 'bootstrap'], { cwd: dir, env: fullEnv, stdio: quiet ? 'ignore' : 'inherit' });

	const child = spawn(node, [directusCli, 'start'], { cwd: dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
	let log = '';
	const keep = (chunk) => {
		log = (log + chunk.toString()).slice(-200_000);
		if (!quiet) process.stderr.write(chunk);
	};
	child.stdout.on('data', keep);
	child.stderr.on('data', keep);
	let exited = null;
	child.on('exit', (code) => (exited = code));

	const deadline = Date.now() + 90_000;
	for (;;) {
		if (exited !== null) throw new Error(`Directus exited with ${exited} while starting:\n${log}`);
		try {
			// /server/ping answers once the app serves requests; /server/health also grades storage and cache.
			const res = await fetch(`${url}/server/ping`);
			if (res.ok) break;
		} catch {
			/* not listening yet */
		}
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`Directus did not become healthy in 90 s:\n${log}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}

	const instance = {
		url,
		dir,
		port,
		pid: child.pid,
		get log() {
			return log;
		},
		get exited() {
			return exited;
		},
		/** Whether Directus still runs, or how it ended and its last log: for the message of a failed request. */
		get state() {
			return exited === null ? 'still running' : `exited with ${exited}; last log:\n${log.slice(-3000)}`;
		},
		adminToken: null,
		/**
		 * Runs the Directus CLI against this instance's database and extensions; resolves with its output. Not
		 * synchronously: that stalls this process's event loop, and with it the HTTP client's closing of idle
		 * connections, so that the next request could go out on a connection the server had closed meanwhile.
		 */
		async cli(...args) {
			const { stdout } = await execFileAsync(node, [directusCli, ...args], { cwd: dir, env: fullEnv, encoding: 'utf8' });
			return stdout;
		},
		async api(method, path, body, token = instance.adminToken) {
			let res;
			try {
				res = await fetch(`${url}${path}`, {
					method,
					headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
					body: body === undefined ? undefined : JSON.stringify(body),
				});
			} catch (error) {
				throw new Error(`${method} ${path} failed (${error?.cause?.message ?? error?.message}); Directus ${instance.state}`, { cause: error });
			}
			const text = await res.text();
			let json = null;
			try {
				json = text ? JSON.parse(text) : null;
			} catch {
				/* not JSON */
			}
			if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
			return json?.data ?? json;
		},
		async stop() {
			if (exited !== null) return;
			child.kill('SIGTERM');
			await new Promise((resolve) => {
				const t = setTimeout(() => {
					child.kill('SIGKILL');
					resolve();
				}, 5000);
				child.once('exit', () => {
					clearTimeout(t);
					resolve();
				});
			});
		},
	};
	const login = await instance.api('POST', '/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, null);
	instance.adminToken = login.access_token;
	await instance.api('PATCH', '/settings', { mcp_enabled: true });
	return instance;
}
