// MCP Guard: a Directus hook that puts the Rust/WASM policy core in front of the built-in /mcp route.
import { defineHook } from '@directus/extensions-sdk';
import manifest from '../extension.json';
import { loadCore } from './core.js';
import { createGuard } from './guard.js';
import { mountTrampoline, isTrampolineMounted, LIVE_GUARD_EVENT } from './mount.js';
import { createSettingsSync, DIRECTORY_EVENTS } from './settings.js';
import { createClock } from './clock.js';
import { invalidSettingsError } from './fail-closed.js';
import { createAuditLog, flushOnShutdown } from './audit-log.js';
import { createSchemaSync, SCHEMA_EVENTS } from './schema-facts.js';
import { createFlowSync, FLOW_EVENTS } from './facts.js';
import { registerDeleteTripwire } from './delete-tripwire.js';
import { provision } from './provision.js';
import { registerCli } from './cli.js';

export default defineHook(({ init, filter, action }, context) => {
	const { database, emitter, logger, env } = context;
	const core = loadCore(logger);
	const settings = createSettingsSync(database, core, logger);
	const schema = createSchemaSync(core);
	const flows = createFlowSync(database, core, logger);
	const audit = createAuditLog(context, manifest.collections.audit_log);
	flushOnShutdown(audit, logger);
	const guard = createGuard({
		core,
		settings,
		flows,
		audit,
		schema,
		database,
		clock: createClock(env),
		logger,
	});

	// The trampoline finds this guard through the extension emitter; Directus clears it on unload.
	emitter.onFilter(LIVE_GUARD_EVENT, () => guard);

	init('routes.before', async ({ app }) => {
		try {
			await provision(context);
		} catch (error) {
			// Without its fields the guard still enforces its defaults; without its log it refuses writes.
			logger.error(`[mcp-guard] could not create its settings or audit log: ${error?.message}`);
		}
		mountTrampoline(app, emitter, logger);
	});
	// Enabled while Directus runs: its routes exist already, and only a restart puts the guard in front of them.
	action('extensions.reload', () => {
		if (!isTrampolineMounted()) logger.warn('[mcp-guard] loaded after Directus started: restart Directus so the guard sees /mcp requests');
	});
	// A broken policy is refused when it is saved, with the core's reasons, so it is never loaded.
	filter('settings.update', async (payload, _meta, eventContext) => {
		// Collections are checked against the schema; no MCP call may have brought it in yet.
		schema.sync(eventContext?.schema ?? (await context.getSchema()));
		const problem = await settings.validateSave(payload);
		if (problem) throw invalidSettingsError(problem);
		return payload;
	});
	action('settings.update', () => settings.invalidate());
	for (const event of DIRECTORY_EVENTS) action(event, () => settings.invalidate());
	for (const event of SCHEMA_EVENTS) action(event, () => schema.invalidate());
	for (const event of FLOW_EVENTS) action(event, () => flows.invalidate());
	registerDeleteTripwire(filter, guard);
	init('cli.before', ({ program }) => registerCli(program, context));
});
