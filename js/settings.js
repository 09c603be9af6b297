// Keeps the core's settings in step with the directus_settings row, and refuses invalid saves. The core
// validates; this file fetches the row and the directory facts the settings name (roles, users, time
// zones), and hands them over when they change.
import manifest from '../extension.json';
import { createReloader } from './freshness.js';
import { whereUsersNamed } from './users.js';

/** The guard's own columns on directus_settings, as extension.json declares them. */
export const GUARD_SETTINGS_FIELDS = manifest.settings.filter((s) => s.type !== 'presentation').map((s) => s.field);
/** Directus's own MCP field that the guard enforces, next to the guard's own declared fields. */
const DIRECTUS_FIELDS = ['mcp_allow_deletes'];
export const SETTINGS_FIELDS = [...DIRECTUS_FIELDS, ...GUARD_SETTINGS_FIELDS];

/** Events after which the names in the settings may resolve differently. */
export const DIRECTORY_EVENTS = ['roles', 'users'].flatMap((scope) => ['create', 'update', 'delete'].map((a) => `${scope}.${a}`));


/** Only the guard's columns that exist: a missing one takes its default in the core, a null one means "none". */
function guardColumns(row) {
	return Object.fromEntries(SETTINGS_FIELDS.filter((field) => field in row).map((field) => [field, row[field]]));
}

function parseList(value) {
	if (typeof value !== 'string') return Array.isArray(value) ? value : [];
	try {
		const parsed = JSON.parse(value);
		return Array.isArray(parsed) ? parsed : [];
	} catch {
		return [];
	}
}

/** The users a settings row names (by email or id), so only those are looked up. */
function userReferences(row) {
	return parseList(row.mcp_guard_user_modes).map((entry) => entry?.user).filter((u) => typeof u === 'string' && u.trim() !== '').map((u) => u.trim());
}

async function readDirectory(database, row) {
	const refs = userReferences(row);
	const [roles, users] = await Promise.all([
		database.select('id', 'name').from('directus_roles'),
		refs.length === 0 ? [] : database.select('id', 'email').from('directus_users').where(whereUsersNamed(database, refs)),
	]);
	return { roles, users, time_zones: timeZones() };
}

let zones = null;
function timeZones() {
	zones ??= ['UTC', ...Intl.supportedValuesOf('timeZone')];
	return zones;
}

export function createSettingsSync(database, core, logger) {
	let loadedRow = null;
	let loadedDirectory = null;
	let timeZone = null;

	async function read() {
		// `*` rather than a column list: before the guard's fields exist, naming them would fail the query.
		return (await database.select('*').from('directus_settings').first()) ?? {};
	}

	function report(answer) {
		if (answer.error) logger.error(`[mcp-guard] the MCP Guard settings are invalid, so MCP tool calls are refused until they are fixed: ${answer.error.message}`);
		timeZone = answer.ok?.time_zone ?? null;
	}

	/** Reads the row and the directory and hands them to the core; again if a change overtook the read. */
	async function load(freshness) {
		const started = freshness.beginRead();
		const row = guardColumns(await read());
		const directory = JSON.stringify(await readDirectory(database, row));
		if (!freshness.isCurrent(started)) return load(freshness);
		const rowText = JSON.stringify(row);
		if (directory !== loadedDirectory) {
			loadedDirectory = directory;
			report(core.guard.setDirectory(directory));
		}
		if (rowText !== loadedRow) {
			loadedRow = rowText;
			// Invalid settings are kept by the core as the reason to refuse tool calls; it says what is wrong.
			report(core.guard.setSettings(rowText));
		}
		freshness.markFresh(started);
	}

	const reloader = createReloader(load, 'the settings', logger);

	return {
		refresh: reloader.refresh,
		refreshAhead: reloader.refreshAhead,
		/** Called on `settings.update` and directory changes, so they apply to the very next call. */
		invalidate: reloader.invalidate,
		/** The IANA zone of the working hours, or null when none are set. */
		timeZone: () => timeZone,

		/**
		 * Checks a save before Directus writes it: the row as it would be afterwards. Returns null when it is
		 * valid, else the core's message listing every problem.
		 */
		async validateSave(changes) {
			const touched = SETTINGS_FIELDS.some((field) => field in changes);
			if (!touched) return null;
			const after = guardColumns({ ...(await read()), ...changes });
			core.guard.setDirectory(JSON.stringify(await readDirectory(database, after)));
			loadedDirectory = null;
			reloader.invalidate();
			const answer = core.guard.validateSettings(JSON.stringify(after));
			return answer.error ? answer.error.message : null;
		},
	};
}
