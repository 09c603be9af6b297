// Settings and the dry run name users by email or id, as an administrator would type them.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Narrows a `directus_users` query to the users these references name: emails without case, and ids (only
 * strings shaped like one, since Postgres refuses anything else for a uuid column).
 */
export function whereUsersNamed(database, references) {
	const ids = references.filter((r) => UUID.test(r));
	return (query) => {
		query.whereIn(database.raw('lower(??)', ['email']), references.map((r) => r.toLowerCase()));
		if (ids.length > 0) query.orWhereIn('id', ids);
	};
}
