// Hands the core the relational facts of Directus's schema, after schema changes.
import { createFreshness } from './freshness.js';

const listOf = (value) => (Array.isArray(value) ? value : typeof value === 'string' && value !== '' ? value.split(',') : []);

/** The parts of `req.schema` the core needs to follow nested payloads, as JSON text. */
function schemaFactsJson(schema) {
	const primary_keys = {};
	const singletons = [];
	for (const [name, collection] of Object.entries(schema.collections)) {
		primary_keys[name] = collection.primary;
		if (collection.singleton) singletons.push(name);
	}
	const relations = schema.relations.map((r) => ({
		collection: r.collection,
		field: r.field,
		related_collection: r.related_collection ?? null,
		one_field: r.meta?.one_field ?? null,
		one_collection_field: r.meta?.one_collection_field ?? null,
		one_deselect_action: r.meta?.one_deselect_action ?? 'nullify',
		one_allowed_collections: listOf(r.meta?.one_allowed_collections),
	}));
	return JSON.stringify({ primary_keys, singletons, relations });
}

/** Schema changes made on this instance; other instances' are picked up when the facts grow old. Named one
 * by one, not `fields.*`: a wildcard listener is searched for every event Directus emits. */
export const SCHEMA_EVENTS = ['collections', 'fields', 'relations'].flatMap((scope) => ['create', 'update', 'delete'].map((a) => `${scope}.${a}`));

/**
 * Keeps the core's relation index in step with Directus's schema. Directus hands every request a deep clone
 * of its cached schema, so object identity says nothing; rebuilding the index per request would cost more
 * than the rest of the guard. It is rebuilt after a schema change event, and when it grows old: on the
 * request's path when it is too old, else ahead of time, after an answer has left (`syncAhead`), where the
 * facts of a large schema take nobody's time.
 */
export function createSchemaSync(core) {
	const freshness = createFreshness();
	// The facts last handed over: when they grow old but did not change, the core keeps what it has.
	let loaded = null;

	/** Hands the core the facts of `schema`, a request's, taken when `read` began. */
	function load(schema, read) {
		if (!freshness.isCurrent(read)) return { ok: true };
		const facts = schemaFactsJson(schema);
		if (facts === loaded) {
			freshness.markFresh(read);
			return { ok: true };
		}
		const answer = core.guard.setSchema(facts);
		if (answer.ok) {
			loaded = facts;
			freshness.markFresh(read);
		}
		return answer;
	}

	return {
		/** Makes sure the core judges with facts that are not old; `schema` is the request's. */
		sync: (schema) => (freshness.isFresh() ? { ok: true } : load(schema, freshness.beginRead())),
		/**
		 * When the facts will soon be too old, a function that reads them again from `schema` (a request's)
		 * for calling once its answer has left. A schema change in between discards that read: the request's
		 * schema predates it.
		 */
		syncAhead(schema) {
			if (!freshness.isDue()) return null;
			const read = freshness.beginRead();
			return () => {
				// Another request's may have read them meanwhile.
				if (freshness.isDue()) load(schema, read);
			};
		},
		invalidate: freshness.invalidate,
	};
}
