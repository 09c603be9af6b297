// `directus mcp-guard uninstall`: removes the guard's settings fields. The audit log stays, as evidence;
// an administrator deletes the mcp_guard_log collection by hand if it is no longer wanted.
import { unprovision } from './provision.js';

export function registerCli(program, context) {
	const command = program.command('mcp-guard').description('MCP Guard extension');
	command
		.command('uninstall')
		.description('Remove MCP Guard settings from Settings → AI (keeps the mcp_guard_log collection)')
		.action(async () => {
			try {
				await unprovision(context);
				context.logger.info('[mcp-guard] uninstalled; remove the extension folder and restart Directus');
				process.exit(0);
			} catch (error) {
				context.logger.error(`[mcp-guard] uninstall failed: ${error?.message}`);
				process.exit(1);
			}
		});
}
