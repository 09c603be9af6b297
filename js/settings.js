// Reads the settings row the core judges with. The core validates it; this file only fetches and caches.
import manifest from '../extension.json';

/** Directus's own MCP field that the guard enforces, next to the guard's own declared fields. */
const DIRECTUS_FIELDS = ['mcp_allow_deletes'];
export const SETTINGS_FIELDS = [...DIRECTUS_FIELDS, ...manifest.settings.filter((s) => s.type !== 'presentation').map((s) => s.field)];

/** Re-read at least this often, for changes that bypass this process (another instance, direct SQL). */
const MAX_AGE_MS = 2000;

export function createSettingsStore(database) {
	let cached = null;
	let readAt = 0;

	async function read() {
		// `*` rather than a column list: before the guard's fields exist, naming them would fail the query.
		const row = (await database.select('*').from('directus_settings').first()) ?? {};
		return Object.fromEntries(SETTINGS_FIELDS.map((field) => [field, row[field] ?? null]));
	}

	return {
		async current() {
			if (!cached || Date.now() - readAt > MAX_AGE_MS) {
				cached = await read();
				readAt = Date.now();
			}
			return cached;
		},
		/** Called on `settings.update`, so a change in Settings → AI applies to the very next call. */
		invalidate() {
			cached = null;
		},
	};
}
