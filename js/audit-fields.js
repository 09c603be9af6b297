// The columns of mcp_guard_log. Each row is one message sent to /mcp.

const string = (field, note, extra = {}) => ({
	field,
	type: 'string',
	meta: { interface: 'input', readonly: true, note, ...extra },
	schema: { is_nullable: true },
});

export const AUDIT_FIELDS = [
	{ field: 'id', type: 'uuid', meta: { hidden: true, readonly: true, special: ['uuid'] }, schema: { is_primary_key: true, is_nullable: false } },
	{ field: 'timestamp', type: 'timestamp', meta: { interface: 'datetime', display: 'datetime', readonly: true, width: 'half', note: 'When the message reached the guard' }, schema: { is_nullable: false } },
	{ field: 'decision', type: 'string', meta: { interface: 'select-dropdown', display: 'labels', readonly: true, width: 'half', options: { choices: [{ text: 'Allowed', value: 'allowed' }, { text: 'Denied', value: 'denied' }] }, display_options: { choices: [{ text: 'Allowed', value: 'allowed', foreground: '#FFFFFF', background: '#2ECDA7' }, { text: 'Denied', value: 'denied', foreground: '#FFFFFF', background: '#E35169' }] } }, schema: { is_nullable: false } },
	string('rule', 'The rule that decided (stable id)', { width: 'half' }),
	{ field: 'reason', type: 'text', meta: { interface: 'input-multiline', readonly: true }, schema: { is_nullable: true } },
	string('outcome', 'ok, tool-error:<CODE>, rpc-error:<code>, http-<status>, or pending while the call runs', { width: 'half' }),
	{ field: 'duration_ms', type: 'float', meta: { interface: 'input', readonly: true, width: 'half', note: 'From the guard seeing the message to the answer leaving' }, schema: { is_nullable: true } },
	string('user', 'Directus user id', { width: 'half' }),
	string('role', 'Directus role id', { width: 'half' }),
	{ field: 'admin', type: 'boolean', meta: { interface: 'boolean', special: ['cast-boolean'], readonly: true, width: 'half' }, schema: { is_nullable: false, default_value: false } },
	string('ip', 'Client IP as Directus resolved it', { width: 'half' }),
	string('user_agent', null),
	string('oauth_client', 'OAuth client, for OAuth-authenticated MCP clients', { width: 'half' }),
	string('tool_mode', 'legacy or registry', { width: 'half' }),
	string('rpc_method', 'JSON-RPC method (tools/call, tools/list, initialize, …)', { width: 'half' }),
	string('tool', 'Tool named in the call', { width: 'half' }),
	string('inner_tool', 'Tool run inside registry execute', { width: 'half' }),
	string('action', null, { width: 'half' }),
	{ field: 'collections', type: 'csv', meta: { interface: 'tags', special: ['cast-csv'], display: 'labels', readonly: true, note: 'Every collection the call reaches' }, schema: { is_nullable: true } },
	{ field: 'key_count', type: 'integer', meta: { interface: 'input', readonly: true, width: 'half' }, schema: { is_nullable: true } },
	{ field: 'mutating', type: 'boolean', meta: { interface: 'boolean', special: ['cast-boolean'], readonly: true, width: 'half', note: 'Recorded before the call ran' }, schema: { is_nullable: false, default_value: false } },
	{ field: 'arguments', type: 'text', meta: { interface: 'input-code', options: { language: 'JSON' }, readonly: true, note: 'Tool arguments, secrets masked, long values cut' }, schema: { is_nullable: true } },
	{ field: 'effects', type: 'text', meta: { interface: 'input-code', options: { language: 'JSON' }, readonly: true, note: 'What the guard found the call would do' }, schema: { is_nullable: true } },
	{
		field: 'findings',
		type: 'text',
		meta: { interface: 'input-code', options: { language: 'JSON' }, readonly: true, note: 'What the guard changed in the answer: redactions by kind, and injection signals (field, signal, action)' },
		schema: { is_nullable: true },
	},
];
