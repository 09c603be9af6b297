// Reads every flow and operation, for the core to judge a call that runs or writes flows.
// Flow operations run with events off, so this is the only moment their effects can be seen.

function parseOptions(options) {
	if (typeof options !== 'string') return options ?? null;
	try {
		return JSON.parse(options);
	} catch {
		return null;
	}
}

export async function loadFlowGraphJson(database) {
	const [flows, operations] = await Promise.all([
		database.select('id', 'name').from('directus_flows'),
		database.select('id', 'flow', 'type', 'options').from('directus_operations'),
	]);
	return JSON.stringify({
		flows,
		operations: operations.map((op) => ({ ...op, options: parseOptions(op.options) })),
	});
}
