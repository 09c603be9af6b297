// Mounts MCP Guard in front of Directus's /mcp route, once per process.
//
// Directus never removes Express middleware, so a reloaded or disabled extension would leave its first
// closure mounted. The mounted piece is therefore a trampoline: it asks the extension-local emitter for the
// live guard on every request. Directus clears that emitter when it unloads extensions, so a disabled guard
// is seen at once, and the trampoline then fails closed.
import { sendRefusal, FAIL_CLOSED } from './fail-closed.js';

// One segment: Directus's emitter treats dots as wildcard levels, and a flat name is the cheapest to look up.
export const LIVE_GUARD_EVENT = 'mcp-guard-live-guard';
// Process-wide: survives extension reloads, which re-run this module as a new instance.
const MOUNTED = Symbol.for('mcp-guard.trampoline-mounted');

/** False when the extension was loaded after Directus built its routes: the guard then sees no request. */
export const isTrampolineMounted = () => globalThis[MOUNTED] === true;

/**
 * The live guard, or null. Read from the emitter's own list of listeners, which Directus's `Emitter` keeps
 * in its `filterEmitter` (eventemitter2): synchronous, where `emitFilter` builds a context and awaits each
 * listener, which took 12 to 14 µs per request inside Directus. An emitter without that list is asked
 * through `emitFilter`. Either way the list is read on every request, so an unloaded guard is never used.
 */
function liveGuard(emitter) {
	try {
		const listeners = emitter.filterEmitter?.listeners?.(LIVE_GUARD_EVENT);
		if (!Array.isArray(listeners)) return emitter.emitFilter(LIVE_GUARD_EVENT, null).catch(() => null);
		// Like emitFilter, the last listener's answer wins.
		return listeners.length > 0 ? (listeners[listeners.length - 1](null) ?? null) : null;
	} catch {
		return null;
	}
}

export function mountTrampoline(app, emitter, logger) {
	if (isTrampolineMounted()) return;
	globalThis[MOUNTED] = true;

	// Express semantics, as Directus mounts /mcp: any method, case-insensitive, with or without a trailing slash.
	app.use('/mcp', async (req, res, next) => {
		const guard = await liveGuard(emitter);
		if (!guard) {
			logger.warn('[mcp-guard] /mcp called while the guard is not loaded; refusing');
			return sendRefusal(res, req.body, FAIL_CLOSED.notLoaded);
		}
		// Whatever goes wrong in the guard is a refusal, never an unhandled rejection that stops Directus.
		return guard.handle(req, res, next).catch((error) => {
			logger.error(`[mcp-guard] the guard failed on a /mcp request, refusing it: ${error?.stack ?? error}`);
			if (!res.headersSent) sendRefusal(res, req.body, FAIL_CLOSED.internalError, error?.message);
		});
	});

	// Requests Directus refused before routing (unreadable JSON, bad credentials, …) still get an audit row:
	// failed authentication is one of the things admins are told to watch for.
	app.use('/mcp', async (err, req, _res, next) => {
		const guard = await liveGuard(emitter);
		if (guard) guard.recordRejected(req, err);
		next(err);
	});
}
