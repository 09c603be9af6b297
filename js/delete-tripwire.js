// The second layer: every delete Directus runs inside an MCP request passes a filter hook here, and the core
// judges it again. It catches whatever the request-level check missed (nested payloads it could not see,
// Directus features newer than the guard). Flow operations run with events off and never reach it: the
// request-level check judges flows before they run.

/** Delete events, and how each names the collection it deletes from. */
const DELETE_EVENTS = {
	'items.delete': (_keys, meta) => [meta.collection],
	'files.delete': () => ['directus_files'],
	'folders.delete': () => ['directus_folders'],
	'flows.delete': () => ['directus_flows'],
	'operations.delete': () => ['directus_operations'],
	'fields.delete': (_fields, meta) => [meta.collection],
	'relations.delete': (_fields, meta) => [meta.collection],
	// The keys of a collections.delete are the collections being dropped.
	'collections.delete': (names) => names,
};

function denialError(verdict) {
	// Shaped as a DirectusError, so the MCP tool error carries our code and message.
	const error = new Error(`MCP Guard refused this delete: ${verdict.reason}. ${verdict.remedy}`);
	error.name = 'DirectusError';
	error.code = 'MCP_GUARD_DENIED';
	error.status = 403;
	error.extensions = { rule: verdict.rule, reason: verdict.reason, remedy: verdict.remedy };
	return error;
}

export function registerDeleteTripwire(filter, guard) {
	for (const [event, collectionsOf] of Object.entries(DELETE_EVENTS)) {
		filter(event, (payload, meta) => {
			const store = guard.requestContext.getStore();
			if (!store) return payload;
			const keys = Array.isArray(payload) ? payload : [payload];
			for (const collection of collectionsOf(keys, meta ?? {})) {
				const verdict = guard.judgeDelete(String(collection ?? '*'), keys.length);
				if (!verdict.allowed) {
					store.tripped = verdict;
					throw denialError(verdict);
				}
			}
			return payload;
		});
	}
}
