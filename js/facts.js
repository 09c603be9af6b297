// What the core asks the database for before it can judge some calls. Flow operations run with events off,
// so reading the flow graph before a call is the only moment their effects can be seen; the folder of a
// file decides whether the assets tool may return its contents.

function parseOptions(options) {
	if (typeof options !== 'string') return options ?? null;
	try {
		return JSON.parse(options);
	} catch {
		return null;
	}
}

/** Every flow and operation, for a call that runs or writes flows. */
export async function loadFlowGraph(database) {
	const [flows, operations] = await Promise.all([
		database.select('id', 'name').from('directus_flows'),
		database.select('id', 'flow', 'type', 'options').from('directus_operations'),
	]);
	return { flows, operations: operations.map((op) => ({ ...op, options: parseOptions(op.options) })) };
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
