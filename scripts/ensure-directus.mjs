// Installs the pinned Directus runtime (and the Node 22 it needs) into .cache/, once.
// Directus 12 needs Node >= 22; the machines run Node 20, so Node 22 comes from the npm package `node@22`,
// and isolated-vm (a native module Directus loads) is rebuilt against its headers.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';

export const DIRECTUS_VERSION = '12.4.0';
// Outside the clone, so fresh clones (CI) on the same machine reuse it; MCP_GUARD_DIRECTUS_DIR overrides.
const cacheHome = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
export const runtimeDir = process.env.MCP_GUARD_DIRECTUS_DIR ?? join(cacheHome, 'mcp-guard', `directus-${DIRECTUS_VERSION}`);
export const node22Bin = join(runtimeDir, 'node_modules', 'node', 'bin');
export const directusCli = join(runtimeDir, 'node_modules', 'directus', 'cli.js');

const NODE_VERSION = '22.23.3';
// node@22 ships the binary; node-<platform>-<arch> ships the headers that native modules build against.
const nodeHeadersPackage = `node-${process.platform}-${process.arch}`;
const manifest = {
	name: 'mcp-guard-directus-runtime',
	private: true,
	dependencies: { directus: DIRECTUS_VERSION, node: NODE_VERSION, [nodeHeadersPackage]: NODE_VERSION },
};
const marker = join(runtimeDir, '.installed.json');

function run(cmd, args, options = {}) {
	execFileSync(cmd, args, { cwd: runtimeDir, stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

export function ensureDirectus() {
	const wanted = JSON.stringify(manifest);
	if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted && existsSync(directusCli)) return;
	mkdirSync(runtimeDir, { recursive: true });
	writeFileSync(join(runtimeDir, 'package.json'), JSON.stringify(manifest, null, 2));
	console.log(`[mcp-guard] installing Directus ${DIRECTUS_VERSION} and Node 22 into ${runtimeDir} (a few minutes, once)`);
	run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
	const nodedir = join(runtimeDir, 'node_modules', nodeHeadersPackage);
	run('npm', ['rebuild', 'isolated-vm', '--loglevel=error'], {
		env: { ...process.env, PATH: `${node22Bin}:${process.env.PATH}`, npm_config_nodedir: nodedir },
	});
	run(join(node22Bin, 'node'), ['-e', "require('isolated-vm')"]);
	writeFileSync(marker, wanted);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureDirectus();
