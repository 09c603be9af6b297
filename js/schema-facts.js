// Hands the core the relational facts of Directus's schema, whenever the schema object changes.

/** The parts of `req.schema` the core needs to follow nested payloads, as JSON text. */
export function schemaFactsJson(schema) {
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
	}));
	return JSON.stringify({ primary_keys, singletons, relations });
}

/** Schema changes made on this instance; other instances' are picked up by the refresh below. Named one by
 * one, not `fields.*`: a wildcard listener is searched for every event Directus emits. */
export const SCHEMA_EVENTS = ['collections', 'fields', 'relations'].flatMap((scope) => ['create', 'update', 'delete'].map((a) => `${scope}.${a}`));

/** Re-read at least this often, for schema changes made by another instance. */
const MAX_AGE_MS = 2000;

/**
 * Keeps the core's relation index in step with Directus's schema. Directus hands every request a deep clone
 * of its cached schema, so object identity says nothing; rebuilding the index per request would cost more
 * than the rest of the guard. It is rebuilt after a schema change event, and at most every 2 seconds.
 */
export function createSchemaSync(core) {
	let builtAt = 0;
	return {
		sync(schema) {
			if (builtAt !== 0 && Date.now() - builtAt <= MAX_AGE_MS) return { ok: true };
			const answer = core.guard.setSchema(schemaFactsJson(schema));
			if (answer.ok) builtAt = Date.now();
			return answer;
		},
		invalidate() {
			builtAt = 0;
		},
	};
}
