// POST /mcp-guard/dry-run (administrators only): what the guard would decide for a tool call by a given
// user, without running or recording anything.
//
//   {"user": "ai@example.com", "call": {"name": "items", "arguments": {…}}, "tool_mode": "legacy", "ip": "10.0.0.7"}
//   → {"decision": "denied", "rule": "deletes.disabled", "reason": "…", "remedy": "…", "effects": […], …}
import { defineEndpoint } from '@directus/extensions-sdk';
import { LIVE_GUARD_EVENT } from './mount.js';
import { whereUsersNamed } from './users.js';

const problem = (res, status, message) => res.status(status).json({ errors: [{ message, extensions: { code: status === 403 ? 'FORBIDDEN' : 'INVALID_PAYLOAD' } }] });

/** The user as Directus would authenticate it: role, and admin access through any of its policies. */
async function callerFor(database, reference, ip) {
	const user = await database.select('id', 'role').from('directus_users').where(whereUsersNamed(database, [String(reference)])).first();
	if (!user) return null;
	// Roles inherit the policies of their parent roles.
	const roles = [];
	for (let role = user.role; role && !roles.includes(role); ) {
		roles.push(role);
		role = (await database.select('parent').from('directus_roles').where('id', role).first())?.parent ?? null;
	}
	const admin = await database
		.select('directus_policies.id')
		.from('directus_access')
		.join('directus_policies', 'directus_policies.id', 'directus_access.policy')
		.where('directus_policies.admin_access', true)
		.andWhere((q) => {
			q.where('directus_access.user', user.id);
			if (roles.length > 0) q.orWhereIn('directus_access.role', roles);
		})
		.first();
	return { user: user.id, role: user.role ?? null, admin: Boolean(admin), ip: ip ?? null, user_agent: 'mcp-guard dry run', oauth_client: null };
}

export default defineEndpoint({
	id: 'mcp-guard',
	handler: (router, { database, emitter, logger }) => {
		router.post('/dry-run', async (req, res) => {
			if (req.accountability?.admin !== true) return problem(res, 403, 'The MCP Guard dry run is for administrators.');
			const { user, call, tool_mode: toolMode = 'legacy', ip } = req.body ?? {};
			if (typeof user !== 'string' || typeof call?.name !== 'string') {
				return problem(res, 400, 'Send {"user": "<email or id>", "call": {"name": "<tool>", "arguments": {…}}}, optionally "tool_mode" and "ip".');
			}
			if (toolMode !== 'legacy' && toolMode !== 'registry') return problem(res, 400, '"tool_mode" must be "legacy" or "registry".');
			const guard = await emitter.emitFilter(LIVE_GUARD_EVENT, null).catch(() => null);
			if (!guard) return problem(res, 503, 'MCP Guard is not loaded.');
			try {
				const caller = await callerFor(database, user, ip);
				if (!caller) return problem(res, 400, `There is no user "${user}".`);
				const message = { jsonrpc: '2.0', id: 'dry-run', method: 'tools/call', params: { name: call.name, arguments: call.arguments ?? {} } };
				return res.json({ user: caller.user, ...(await guard.dryRun(req, message, caller, toolMode)) });
			} catch (error) {
				logger.error(`[mcp-guard] dry run failed: ${error?.stack ?? error}`);
				return problem(res, 500, `The dry run failed: ${error?.message}`);
			}
		});
	},
});
