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

/** Keeps the core's schema in step with `req.schema`, rebuilding only when Directus hands a new object. */
export function createSchemaSync(core) {
	let current = null;
	return function syncSchema(schema) {
		if (schema === current) return { ok: true };
		const answer = core.guard.setSchema(schemaFactsJson(schema));
		if (answer.ok) current = schema;
		return answer;
	};
}
