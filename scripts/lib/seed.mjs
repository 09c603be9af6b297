// The content model the demo, the tests and the benchmarks share: articles with comments (O2M whose
// deselected rows are deleted), tags (M2M through a junction), notes (O2M that only unlinks), a role with
// full CRUD on them, a non-admin MCP user and an admin MCP user with static tokens, and a manual flow whose
// one operation deletes articles with full permissions.

export const CONTENT_TOKEN = 'mcp-content-user-token';
export const ADMIN_MCP_TOKEN = 'mcp-admin-user-token';
export const CONTENT_COLLECTIONS = ['articles', 'comments', 'tags', 'articles_tags', 'notes'];

const pk = { field: 'id', type: 'integer', meta: { hidden: true, interface: 'input', readonly: true }, schema: { is_primary_key: true, has_auto_increment: true } };
const text = (field) => ({ field, type: 'string', meta: { interface: 'input' }, schema: {} });
const fk = (field) => ({ field, type: 'integer', meta: { interface: 'select-dropdown-m2o' }, schema: {} });

export async function seed(directus) {
	const api = directus.api;
	const collection = (name, fields) => api('POST', '/collections', { collection: name, schema: {}, meta: { icon: 'article' }, fields: [pk, ...fields] });

	await collection('articles', [text('title'), { field: 'secret_note', type: 'text', meta: { interface: 'input-multiline' }, schema: {} }]);
	await collection('comments', [text('body'), fk('article')]);
	await collection('tags', [text('name')]);
	await collection('articles_tags', [fk('articles_id'), fk('tags_id')]);
	await collection('notes', [text('body'), fk('article')]);

	const alias = (collectionName, field, special) =>
		api('POST', `/fields/${collectionName}`, { field, type: 'alias', meta: { special: [special], interface: special === 'm2m' ? 'list-m2m' : 'list-o2m' } });
	await alias('articles', 'comments', 'o2m');
	await alias('articles', 'tags', 'm2m');
	await alias('articles', 'notes', 'o2m');

	await api('POST', '/relations', { collection: 'comments', field: 'article', related_collection: 'articles', meta: { one_field: 'comments', one_deselect_action: 'delete' }, schema: { on_delete: 'CASCADE' } });
	await api('POST', '/relations', { collection: 'articles_tags', field: 'articles_id', related_collection: 'articles', meta: { one_field: 'tags', junction_field: 'tags_id', one_deselect_action: 'delete' }, schema: { on_delete: 'CASCADE' } });
	await api('POST', '/relations', { collection: 'articles_tags', field: 'tags_id', related_collection: 'tags', meta: { one_field: null, junction_field: 'articles_id' }, schema: { on_delete: 'CASCADE' } });
	await api('POST', '/relations', { collection: 'notes', field: 'article', related_collection: 'articles', meta: { one_field: 'notes', one_deselect_action: 'nullify' }, schema: { on_delete: 'SET NULL' } });

	const policy = await api('POST', '/policies', { name: 'MCP content work', icon: 'smart_toy', admin_access: false, app_access: false });
	for (const name of CONTENT_COLLECTIONS) {
		for (const action of ['create', 'read', 'update', 'delete']) {
			await api('POST', '/permissions', { policy: policy.id, collection: name, action, fields: ['*'], permissions: {}, validation: {} });
		}
	}
	// Triggering a manual flow needs read access to it, and the schema tool needs the schema's system
	// collections, as with app access in the Data Studio.
	for (const system of ['directus_flows', 'directus_collections', 'directus_fields', 'directus_relations']) {
		await api('POST', '/permissions', { policy: policy.id, collection: system, action: 'read', fields: ['*'], permissions: {}, validation: {} });
	}
	const role = await api('POST', '/roles', { name: 'MCP Content', icon: 'smart_toy' });
	await api('POST', '/access', { role: role.id, policy: policy.id });
	const contentUser = await api('POST', '/users', { email: 'mcp-content@example.com', password: 'mcp-content-user', role: role.id, token: CONTENT_TOKEN });

	const adminRoles = await api('GET', '/roles?filter[name][_eq]=Administrator');
	const adminUser = await api('POST', '/users', { email: 'mcp-admin@example.com', password: 'mcp-admin-user', role: adminRoles[0].id, token: ADMIN_MCP_TOKEN });

	return { roleId: role.id, policyId: policy.id, contentUserId: contentUser.id, adminUserId: adminUser.id };
}

/** Sample rows: articles 1..n, each with two comments, one tag link and one note. */
export async function seedRows(directus, n = 3) {
	const api = directus.api;
	const tag = await api('POST', '/items/tags', { name: 'news' });
	const ids = [];
	for (let i = 1; i <= n; i++) {
		const article = await api('POST', '/items/articles', {
			title: `Article ${i}`,
			secret_note: `internal ${i}`,
			comments: [{ body: `first on ${i}` }, { body: `second on ${i}` }],
			tags: [{ tags_id: tag.id }],
			notes: [{ body: `note on ${i}` }],
		});
		ids.push(article.id);
	}
	return { articleIds: ids, tagId: tag.id };
}

/** A manual flow whose only operation deletes the article it is triggered on, with full permissions. */
export async function seedDeleteFlow(directus) {
	const api = directus.api;
	const flow = await api('POST', '/flows', { name: 'Clean up article', status: 'active', trigger: 'manual', accountability: 'all', options: { collections: ['articles'], requireSelection: true } });
	const op = await api('POST', '/operations', {
		flow: flow.id,
		name: 'Delete article',
		key: 'delete_article',
		type: 'item-delete',
		position_x: 19,
		position_y: 1,
		options: { collection: 'articles', permissions: '$full', query: { filter: { id: { _in: '{{$trigger.body.keys}}' } } } },
	});
	await api('PATCH', `/flows/${flow.id}`, { operation: op.id });
	return flow.id;
}
