// The second layer: every delete Directus runs inside an MCP request passes a filter hook here, and the core
// judges it again. It catches whatever the request-level check missed (nested payloads it could not see,
// Directus features newer than the guard). Flow operations run with events off and never reach it: the
// request-level check judges flows before they run.

/**
 * The collections a delete event removes rows from. Every service names its collection in `meta`, except
 * `collections.delete`, whose keys are the collections being dropped.
 */
function collectionsOf(keys, meta) {
	return meta.event === 'collections.delete' ? keys : [meta.collection ?? '*'];
}

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
	// One wildcard listener for every `<scope>.delete` filter event: items, files, folders, flows, operations,
	// fields, relations, collections, and the other system collections a flow could reach (users, roles, …).
	filter('*.delete', (payload, meta) => {
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
