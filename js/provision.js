// Creates what the guard needs in Directus, idempotently: its fields on Settings → AI and its audit log
// collection. The uninstall command removes both.
import manifest from '../extension.json';
import { AUDIT_FIELDS } from './audit-fields.js';

const SETTINGS = 'directus_settings';

const choicesOf = (decl, all) => decl.choices ?? all.find((s) => s.field === decl.choices_from)?.choices ?? [];

/** A repeater's sub-fields, as the `list` interface takes them. */
function repeaterFields(decl) {
	return decl.item_fields.map((sub) => {
		const choices = choicesOf(sub, manifest.settings);
		const meta = sub.multiple
			? { interface: 'select-multiple-checkbox', options: { choices } }
			: choices.length > 0
				? { interface: 'select-dropdown', options: { choices } }
				: { interface: 'input', options: { placeholder: sub.placeholder } };
		const type = sub.multiple ? 'json' : 'string';
		return { field: sub.field, name: sub.label, type, meta: { field: sub.field, type, width: sub.multiple ? 'full' : 'half', ...meta } };
	});
}

/** The Directus field for one declared setting: its type decides column, interface and casting. */
function settingsField(decl, sort) {
	const meta = { group: manifest.group, note: decl.note, width: 'full', sort, translations: [{ language: 'en-US', translation: decl.label }] };
	const column = (type, extra) => ({ field: decl.field, type, schema: { default_value: decl.default ?? null, is_nullable: true }, meta: { ...meta, ...extra } });
	switch (decl.type) {
		case 'presentation':
			return {
				field: decl.field,
				type: 'alias',
				meta: { ...meta, special: ['alias', 'no-data'], interface: 'presentation-divider', options: { title: decl.label, icon: 'shield' } },
			};
		case 'boolean':
			return column('boolean', { special: ['cast-boolean'], interface: 'boolean', width: 'half', options: { label: decl.toggle_label ?? decl.label }, display: 'boolean' });
		case 'string':
			return decl.choices
				? column('string', { interface: 'select-dropdown', width: 'half', options: { choices: decl.choices } })
				: column('string', { interface: 'input', width: 'half', options: { placeholder: decl.placeholder } });
		case 'integer':
			return column('integer', { interface: 'input', width: 'half', options: { min: 0, placeholder: 'No limit' } });
		case 'csv':
			// Lists start empty: a column default would be stored as text, not as a list.
			return { ...column('csv', { special: ['cast-csv'], interface: 'tags', options: { placeholder: decl.placeholder, allowCustom: true } }), schema: { is_nullable: true } };
		case 'json':
			return {
				...column('json', {
					special: ['cast-json'],
					interface: 'list',
					options: { fields: repeaterFields(decl), addLabel: `Add to ${decl.label}`, template: decl.item_fields.map((f) => `{{${f.field}}}`).join(' · ') },
				}),
				schema: { is_nullable: true },
			};
		default:
			throw new Error(`extension.json: setting ${decl.field} has an unknown type ${decl.type}`);
	}
}

export async function provision({ services, getSchema, logger }) {
	const schema = await getSchema();
	const fieldsService = new services.FieldsService({ schema, accountability: null });
	const existing = await fieldNames(fieldsService);
	// Sort after Directus's own MCP fields, so the guard's part sits at the bottom of the AI page.
	let sort = 100;
	for (const decl of manifest.settings) {
		sort += 1;
		if (existing.has(decl.field)) continue;
		await fieldsService.createField(SETTINGS, settingsField(decl, sort));
		logger.info(`[mcp-guard] added setting ${decl.field} to Settings → AI`);
	}
	await provisionAuditLog({ services, getSchema, logger });
}

async function fieldNames(fieldsService) {
	return new Set((await fieldsService.readAll(SETTINGS)).map((f) => f.field));
}

async function provisionAuditLog({ services, getSchema, logger }) {
	const collection = manifest.collections.audit_log;
	const schema = await getSchema();
	if (!schema.collections[collection]) {
		const collectionsService = new services.CollectionsService({ schema, accountability: null });
		await collectionsService.createOne({
			collection,
			schema: {},
			meta: {
				icon: 'policy',
				note: 'MCP Guard: one row per message sent to /mcp. Written by the guard; MCP clients can neither read nor change it.',
				sort_field: null,
				archive_field: null,
				display_template: '{{tool}} {{action}} → {{decision}} ({{rule}})',
				// The guard writes rows directly; Directus's activity log would only duplicate them.
				accountability: null,
			},
			fields: AUDIT_FIELDS,
		});
		logger.info(`[mcp-guard] created the ${collection} collection`);
		return;
	}
	// Upgrades: add fields that a newer version declares.
	const fieldsService = new services.FieldsService({ schema, accountability: null });
	for (const field of AUDIT_FIELDS) {
		if (!schema.collections[collection].fields[field.field]) await fieldsService.createField(collection, field);
	}
}

export async function unprovision({ services, getSchema, logger }) {
	const schema = await getSchema();
	const fieldsService = new services.FieldsService({ schema, accountability: null });
	const existing = await fieldNames(fieldsService);
	for (const decl of manifest.settings) {
		if (existing.has(decl.field)) {
			await fieldsService.deleteField(SETTINGS, decl.field);
			logger.info(`[mcp-guard] removed setting ${decl.field}`);
		}
	}
}
