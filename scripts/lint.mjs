// npm run lint: the checks that keep the code as it is meant to be. rustfmt, Clippy (natively and for the
// WASM target, warnings as errors) and ESLint's recommended rules. Run after `npm test` (or `npm run build`),
// which installs what they need.
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
	console.log(`[mcp-guard] ${cmd} ${args.join(' ')}`);
	execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
};

run('cargo', ['fmt', '--check']);
run('cargo', ['clippy', '--quiet', '--all-targets', '--', '-D', 'warnings']);
run('cargo', ['clippy', '--quiet', '--target', 'wasm32-unknown-unknown', '--', '-D', 'warnings']);
run(join(root, 'node_modules', '.bin', 'eslint'), ['--max-warnings', '0', '.']);
