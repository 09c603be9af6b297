// What the core asks the database for before it can judge some calls. Flow operations run with events off,
// so reading the flow graph before a call is the only moment their effects can be seen, and any call that
// reads or writes data may set off event flows; the folder of a file decides whether the assets tool may
// return its contents.
import { createReloader } from './freshness.js';

function parseOptions(options) {
	if (typeof options !== 'string') return options ?? null;
	try {
		return JSON.parse(options);
	} catch {
		return null;
	}
}

/** Every flow (with its trigger, for event flows) and operation. */
export async function loadFlowGraph(database) {
	const [flows, operations] = await Promise.all([
		database.select('id', 'name', 'status', 'trigger', 'options').from('directus_flows'),
		database.select('id', 'flow', 'type', 'options').from('directus_operations'),
	]);
	const parsed = (rows) => rows.map((row) => ({ ...row, options: parseOptions(row.options) }));
	return { flows: parsed(flows), operations: parsed(operations) };
}

/** Flow and operation changes made on this instance; other instances' are picked up when the graph grows old. */
export const FLOW_EVENTS = ['flows', 'operations'].flatMap((scope) => ['create', 'update', 'delete'].map((a) => `${scope}.${a}`));

/**
 * Keeps the core's flow graph in step with the database, as the settings are kept: read again after a flow
 * or operation changes here, and when it grows old (on the request's path when it is too old, else ahead of
 * time once an answer has left).
 */
export function createFlowSync(database, core, logger) {
	let loaded = null;
	async function load(freshness) {
		const started = freshness.beginRead();
		const graph = JSON.stringify(await loadFlowGraph(database));
		if (!freshness.isCurrent(started)) return load(freshness);
		if (graph !== loaded) {
			const answer = core.guard.setFlows(graph);
			if (answer.error) throw new Error(`the flow graph was refused (${answer.error.message})`);
			loaded = graph;
		}
		freshness.markFresh(started);
	}
	return createReloader(load, 'the flows', logger);
}

/** The folder (id and name) of a file, or `{missing: true}`. */
export async function loadFileFolder(database, id) {
	const file = await database
		.select('directus_files.folder', 'directus_folders.name as folder_name')
		.from('directus_files')
		.leftJoin('directus_folders', 'directus_folders.id', 'directus_files.folder')
		.where('directus_files.id', id)
		.first();
	return file ?? { missing: true };
}
