// Keeps the core's settings in step with the directus_settings row. The core validates them; this file only
// fetches, and hands them over when they change.
import manifest from '../extension.json';
import { createFreshness } from './freshness.js';

/** Directus's own MCP field that the guard enforces, next to the guard's own declared fields. */
const DIRECTUS_FIELDS = ['mcp_allow_deletes'];
const SETTINGS_FIELDS = [...DIRECTUS_FIELDS, ...manifest.settings.filter((s) => s.type !== 'presentation').map((s) => s.field)];

export function createSettingsSync(database, core) {
	const freshness = createFreshness();
	let loaded = null;

	async function read() {
		// `*` rather than a column list: before the guard's fields exist, naming them would fail the query.
		const row = (await database.select('*').from('directus_settings').first()) ?? {};
		return Object.fromEntries(SETTINGS_FIELDS.map((field) => [field, row[field] ?? null]));
	}

	return {
		/** Makes sure the core judges with settings that are not old. */
		async refresh() {
			if (freshness.isFresh()) return;
			const row = JSON.stringify(await read());
			freshness.markFresh();
			if (row === loaded) return;
			// Invalid settings are kept by the core as the reason to refuse tool calls; it says what is wrong.
			core.guard.setSettings(row);
			loaded = row;
		},
		/** Called on `settings.update`, so a change in Settings → AI applies to the very next call. */
		invalidate: freshness.invalidate,
	};
}
