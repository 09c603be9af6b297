// The JS linter's configuration: ESLint's recommended rules, for the extension and its scripts, tests and bench.
import js from '@eslint/js';
import globals from 'globals';

export default [
	{ ignores: ['dist/', 'pkg/', 'target/', 'node_modules/', 'tests/.runs/', '.demo/', '.cache/'] },
	js.configs.recommended,
	{
		languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
		rules: { 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }] },
	},
	{ files: ['js/app/**'], languageOptions: { globals: { ...globals.browser } } },
];
