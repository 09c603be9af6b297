// A person changes the guard's settings in Settings → AI (Chromium driving the real Data Studio): the guard
// toggle, a per-role mode in a repeater and a collection denylist in tags. The next MCP call follows them,
// and an invalid value is refused with a clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startDirectus, ADMIN_EMAIL, ADMIN_PASSWORD } from '../../scripts/lib/directus.mjs';
import { seed, seedRows, CONTENT_TOKEN } from '../../scripts/lib/seed.mjs';
import { callViaSdk, toolErrors, withAudit, count } from '../helpers.mjs';

let directus;
let browser;
let page;
let articleIds;

before(async () => {
	directus = await startDirectus({ name: 'settings-ui' });
	await seed(directus);
	({ articleIds } = await seedRows(directus, 2));
	browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
	});
	page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
	await page.goto(`${directus.url}/admin/login`);
	await page.fill('input[type=email]', ADMIN_EMAIL);
	await page.fill('input[type=password]', ADMIN_PASSWORD);
	await page.click('button[type=submit]');
	await page.waitForURL(/\/admin\/(?!login)/);
});
after(async () => {
	await browser?.close();
	await directus?.stop();
});

async function openAiSettings() {
	await page.goto(`${directus.url}/admin/settings/ai`);
	const field = page.locator('[data-field="mcp_guard_enabled"]');
	await field.waitFor();
	// A fresh Directus asks for a licence key until it is answered.
	const skip = page.getByRole('button', { name: 'Skip' });
	if (await skip.waitFor({ timeout: 3000 }).then(() => true, () => false)) {
		await skip.click();
		await skip.waitFor({ state: 'hidden' });
	}
	await field.scrollIntoViewIfNeeded();
	return field;
}

async function switchGuard(expectOn) {
	const field = await openAiSettings();
	await assert.doesNotReject(field.getByText('Enforce MCP Guard policy').waitFor());
	await field.locator('.interface .v-checkbox').click();
	await page.getByRole('button', { name: 'Save' }).first().click();
	// Saved when the API says so.
	const deadline = Date.now() + 10_000;
	while ((await directus.api('GET', '/settings')).mcp_guard_enabled !== expectOn) {
		if (Date.now() > deadline) throw new Error('the toggle was not saved');
		await page.waitForTimeout(100);
	}
}

// A nested delete: stock Directus lets it through even with Allow Deletes off; the guard does not.
const nestedDelete = (article, comment) => () =>
	callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [article], data: { comments: { delete: [comment] } } });
const firstComment = async (article) => (await directus.api('GET', `/items/comments?filter[article][_eq]=${article}`))[0].id;

test('the guard toggle sits on Settings → AI with its note, under its own heading', async () => {
	const field = await openAiSettings();
	assert.ok(await field.isVisible());
	assert.ok(await page.locator('[data-field="mcp_guard_divider"] .presentation-divider').getByText('MCP Guard', { exact: true }).isVisible());
	assert.match(await field.textContent(), /every MCP call is checked before it runs/);
	await page.screenshot({ path: `${directus.dir}/settings-ai.png`, fullPage: false });
});

test('switched off in the UI: the next call passes unguarded (and is logged); switched on: refused', async () => {
	const article = articleIds[0];
	const comment = await firstComment(article);

	await switchGuard(false);
	const off = await withAudit(directus, nestedDelete(article, comment));
	assert.equal(toolErrors(off.result), null, JSON.stringify(off.result));
	assert.equal(await count(directus, 'comments', { id: { _eq: comment } }), 0);
	assert.equal(off.rows[0].rule, 'allow.guard-disabled');

	await switchGuard(true);
	const next = await firstComment(article);
	const on = await withAudit(directus, nestedDelete(article, next));
	assert.equal(toolErrors(on.result)?.[0].rule, 'deletes.disabled');
	assert.equal(await count(directus, 'comments', { id: { _eq: next } }), 1);
});

async function saveAndWait(done) {
	await page.getByRole('button', { name: 'Save' }).first().click();
	const deadline = Date.now() + 10_000;
	while (!done(await directus.api('GET', '/settings'))) {
		if (Date.now() > deadline) {
			await page.screenshot({ path: `${directus.dir}/not-saved.png` });
			throw new Error(`the settings were not saved (screenshot in ${directus.dir}/not-saved.png)`);
		}
		await page.waitForTimeout(100);
	}
}

test('a per-role mode set in the repeater and a collection denylist set in tags apply to the next call', async () => {
	await openAiSettings();
	const roles = page.locator('[data-field="mcp_guard_role_modes"]');
	await roles.scrollIntoViewIfNeeded();
	await roles.getByRole('button', { name: 'Add to MCP Mode per Role' }).click();
	const drawer = page.locator('.v-drawer');
	await drawer.getByPlaceholder('Role name or id').fill('MCP Content');
	// The select's wrapper takes the click, not its read-only input.
	await drawer.getByPlaceholder('Select an item...').locator('..').click();
	await page.locator('.v-menu-content').getByText('Analysis: read only').click();
	await drawer.getByRole('button', { name: 'Save' }).click();
	await drawer.waitFor({ state: 'hidden' });

	const deny = page.locator('[data-field="mcp_guard_collections_deny"] input');
	await deny.scrollIntoViewIfNeeded();
	await deny.fill('notes');
	await deny.press('Enter');
	await saveAndWait((s) => s.mcp_guard_role_modes?.length === 1 && s.mcp_guard_collections_deny?.includes('notes'));
	await page.screenshot({ path: `${directus.dir}/settings-ai-policy.png`, fullPage: true });

	const update = await callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'update', collection: 'articles', keys: [articleIds[1]], data: { title: 'from the UI' } });
	assert.equal(toolErrors(update)?.[0].rule, 'mode.read-only');
	const read = await callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { fields: ['id', 'notes.body'] } });
	assert.equal(toolErrors(read)?.[0].rule, 'collections.denied');
	const allowed = await callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { fields: ['id', 'title'] } });
	assert.equal(toolErrors(allowed), null);
	await directus.api('PATCH', '/settings', { mcp_guard_role_modes: [], mcp_guard_collections_deny: [] });
});

test('an invalid IP range is refused on save with a clear message, and the saved policy stays', async () => {
	await openAiSettings();
	const ips = page.locator('[data-field="mcp_guard_ip_allowlist"] input');
	await ips.scrollIntoViewIfNeeded();
	await ips.fill('10.0.0.0/33');
	await ips.press('Enter');
	await page.getByRole('button', { name: 'Save' }).first().click();
	const message = page.getByText(/"10\.0\.0\.0\/33" is not an IP address or CIDR range/).first();
	await message.waitFor({ timeout: 10_000 });
	await page.screenshot({ path: `${directus.dir}/settings-ai-invalid.png` });
	const saved = await directus.api('GET', '/settings');
	assert.ok(!saved.mcp_guard_ip_allowlist?.length, JSON.stringify(saved.mcp_guard_ip_allowlist));
	const read = await callViaSdk(directus, CONTENT_TOKEN, 'items', { action: 'read', collection: 'articles', query: { fields: ['id'] } });
	assert.equal(toolErrors(read), null);
});
