// The answers the JS side gives on its own, when it cannot get a decision from the core.
// They carry the same shape as the core's denials, so clients and tests see one format.

const DENIAL_CODE = 'MCP_GUARD_DENIED';

export const FAIL_CLOSED = {
	notLoaded: {
		rule: 'guard.not-loaded',
		reason: 'MCP Guard is installed in front of /mcp but is not loaded (it was disabled or failed to reload)',
		remedy: 'An administrator can enable the MCP Guard extension again, or restart Directus to run without it.',
	},
	internalError: {
		rule: 'guard.internal-error',
		reason: 'MCP Guard could not judge this call',
		remedy: 'Try again; if it keeps failing, an administrator can read the Directus log for the cause.',
	},
	auditWriteFailed: {
		rule: 'audit.write-failed',
		reason: 'the audit record of this call could not be written, and calls that change data are only run once they are recorded',
		remedy: 'An administrator can check the database and the Directus log; the call can be retried afterwards.',
	},
};

/** Sends a refusal for `message`: a tool error for tools/call, a JSON-RPC error for anything else. */
export function sendRefusal(res, message, { rule, reason, remedy }, detail) {
	const fullReason = detail ? `${reason}: ${detail}` : reason;
	const error = { error: `MCP Guard refused this call: ${fullReason}. ${remedy}`, code: DENIAL_CODE, rule, reason: fullReason, remedy, recoverable: false };
	const id = typeof message?.id === 'string' || typeof message?.id === 'number' ? message.id : null;
	const body =
		message?.method === 'tools/call' && id !== null
			? { jsonrpc: '2.0', id, result: { isError: true, content: [{ type: 'text', text: JSON.stringify([error]) }] } }
			: { jsonrpc: '2.0', id, error: { code: -32603, message: error.error, data: { code: DENIAL_CODE, rule, reason: fullReason, remedy } } };
	res.status(200).json(body);
}

/** Not a refusal by the guard: the rule recorded when Directus refused a request before the guard saw it. */
export const REJECTED_BY_DIRECTUS = { rule: 'request.rejected-by-directus' };

/** An error Directus answers with its own status, code and message (it checks the name). */
export function directusError({ code, status, message, extensions }) {
	const error = new Error(message);
	error.name = 'DirectusError';
	error.code = code;
	error.status = status;
	error.extensions = extensions;
	return error;
}

/** A settings save that the core found invalid (400); the admin app shows the message. */
export const invalidSettingsError = (problems) =>
	directusError({ code: 'INVALID_PAYLOAD', status: 400, message: `Invalid MCP Guard settings: ${problems}`, extensions: { reason: problems } });
