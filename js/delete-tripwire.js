// The second layer: every delete Directus runs inside an MCP request passes a filter hook here, and the core
// judges it again. It catches whatever the request-level check missed (nested payloads it could not see,
// Directus features newer than the guard). Flow operations run with events off and never reach it: the
// request-level check judges flows before they run.
import { directusError } from './fail-closed.js';

/**
 * The collections a delete event removes rows from. Every service names its collection in `meta`, except
 * `collections.delete`, whose keys are the collections being dropped.
 */
function collectionsOf(keys, meta) {
	return meta.event === 'collections.delete' ? keys : [meta.collection ?? '*'];
}

// Shaped as a DirectusError, so the MCP tool error carries our code and message.
const denialError = (verdict) =>
	directusError({
		code: 'MCP_GUARD_DENIED',
		status: 403,
		message: `MCP Guard refused this delete: ${verdict.reason}. ${verdict.remedy}`,
		extensions: { rule: verdict.rule, reason: verdict.reason, remedy: verdict.remedy },
	});

/**
 * The delete events judged: user collections (`items`), everything the MCP tools reach, and the system
 * collections a flow could delete from. Named one by one: with a wildcard listener, Directus's emitter
 * searches a wildcard branch for every event it emits, on every request.
 */
const DELETE_EVENTS = ['items', 'files', 'folders', 'flows', 'operations', 'fields', 'relations', 'collections', 'users', 'roles', 'policies', 'permissions', 'access', 'presets', 'shares', 'comments', 'dashboards', 'panels', 'notifications', 'versions', 'translations'].map((scope) => `${scope}.delete`);

export function registerDeleteTripwire(filter, guard) {
	const judge = (payload, meta) => {
		const store = guard.requestContext.getStore();
		if (!store) return payload;
		const keys = Array.isArray(payload) ? payload : [payload];
		// Rows deleted by earlier events of the same call count toward its per-call limit.
		const deletedBefore = store.deletedRows ?? 0;
		for (const collection of collectionsOf(keys, meta ?? {})) {
			const verdict = guard.judgeDelete(String(collection ?? '*'), keys.length, deletedBefore);
			if (!verdict.allowed) {
				store.tripped = verdict;
				throw denialError(verdict);
			}
		}
		store.deletedRows = deletedBefore + keys.length;
		return payload;
	};
	for (const event of DELETE_EVENTS) filter(event, judge);
}
