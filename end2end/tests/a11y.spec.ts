import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, hydrated, signIn } from './helpers';
import * as path from 'path';

const FIXTURES = path.join(__dirname, '..', '..', 'credentials', 'tests', 'fixtures', 'keys');

// Issue 19 §4: axe (axe-core, WCAG 2.x A/AA rules and best practices) on every page of the
// console, as an admin and as a viewer: no violation of any impact.

/** The violations axe finds on the page as it is now, one line each (rule, impact, where). */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** Opens `path`, waits for it to hydrate and settle, and returns axe's findings, labelled. */
async function check(page: Page, path: string, heading: RegExp): Promise<string[]> {
  await page.goto(path);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 }).first()).toHaveText(heading);
  await page.waitForLoadState('networkidle');
  return (await violations(page)).map((v) => `${path}: ${v}`);
}

test('every page passes axe, as an admin and as a viewer', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const found: string[] = [];
  // Before signing in.
  await page.goto('/login');
  await hydrated(page);
  found.push(...(await violations(page)).map((v) => `/login: ${v}`));

  await signIn(page, ADMIN.user, ADMIN.password);
  // A client with a secret, so the client pages have content.
  await page.getByRole('button', { name: 'Create client' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create client' });
  found.push(...(await violations(page)).map((v) => `create-client dialog: ${v}`));
  await dialog.getByLabel('Client ID').fill('a11y-service');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  const client = page.url().replace(/\/settings$/, '').replace(/^https?:\/\/[^/]+/, '');
  // A viewer, for the second pass.
  await page.goto('/console/operators');
  await hydrated(page);
  await page.getByLabel('Username').fill('vera');
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByLabel('Password (at least 12 characters)').fill('viewer-password-1');
  await page.getByLabel('Repeat the password').fill('viewer-password-1');
  await page.getByRole('button', { name: 'Add operator' }).click();
  await expect(page.getByRole('table', { name: 'Operators' })).toContainText('vera');

  const pages: [string, RegExp][] = [
    ['/console/master/clients', /Clients/],
    [`${client}/settings`, /a11y-service/],
    [`${client}/credentials`, /a11y-service/],
    [`${client}/keys`, /a11y-service/],
    [`${client}/installation`, /a11y-service/],
    ['/console/master/settings', /Realm settings/],
    ['/console/master/client-scopes', /Client scopes/],
    ['/console/master/identity-providers', /Identity providers/],
    ['/console/master/events', /Admin events/],
    ['/console/master/expiry', /Expir/],
    ['/console/master/webhooks', /Webhooks/],
    ['/console/master/deliveries', /Deliveries/],
    ['/console/realms', /Realms/],
    ['/console/operators', /Operators/],
  ];
  for (const [path, heading] of pages) {
    found.push(...(await check(page, path, heading)).map((v) => `admin ${v}`));
  }

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, 'vera', 'viewer-password-1');
  for (const [path, heading] of pages) {
    found.push(...(await check(viewer, path, heading)).map((v) => `viewer ${v}`));
  }
  await viewerContext.close();
  expect(found).toEqual([]);
});

// Issue 19 §3/§4: dialogs are the browser's modal <dialog>: focus moves in, Tab stays in,
// Escape closes, focus returns; and the main flow's first steps work from the keyboard alone.
test('dialogs keep the focus, and a client is created and given a secret with the keyboard alone', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, ADMIN.user, ADMIN.password);
  const open = page.getByRole('button', { name: 'Create client' });
  await open.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Create client' });
  await expect(dialog).toBeVisible();
  const inDialog = () => page.evaluate(() => !!document.activeElement?.closest('dialog'));
  // The page behind a modal dialog is inert: Tab cycles through the dialog (and the browser's
  // own controls, where focus is on no element of the page), never onto the page behind.
  const notBehind = () => page.evaluate(() => {
    const a = document.activeElement;
    return !a || a === document.body || !!a.closest('dialog');
  });
  expect(await inDialog()).toBe(true);
  let visitedDialog = 0;
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect(await notBehind(), `Tab ${i + 1} reached the page behind the dialog`).toBe(true);
    if (await inDialog()) visitedDialog++;
  }
  expect(visitedDialog).toBeGreaterThan(6);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(open).toBeFocused();

  // Create a client: Enter opens the dialog, the first field has the focus, Enter submits.
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Client ID')).toBeFocused();
  await page.keyboard.type('keyboard-svc');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/settings$/);
  await hydrated(page);
  // To the Credentials tab and a first secret, by Tab and Enter only.
  const credentials = page.getByRole('link', { name: 'Credentials', exact: true });
  await credentials.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/credentials$/);
  await hydrated(page);
  const generate = page.getByRole('button', { name: 'Generate secret' });
  await generate.focus();
  await page.keyboard.press('Enter');
  const secretDialog = page.getByRole('dialog', { name: 'Generate secret' });
  await expect(secretDialog).toBeVisible();
  await page.keyboard.type('from the keyboard');
  await secretDialog.getByRole('button', { name: 'Generate', exact: true }).focus();
  await page.keyboard.press('Enter');
  const shown = page.getByRole('dialog', { name: 'New client secret' });
  await expect(shown).toBeVisible();
  await expect(shown.getByTestId('new-secret-value')).not.toHaveValue('');
  // Copied with the keyboard: the copy button, Enter.
  const value = await shown.getByTestId('new-secret-value').inputValue();
  await shown.getByRole('button', { name: 'Copy secret' }).focus();
  await page.keyboard.press('Enter');
  await expect(shown.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
  await page.keyboard.press('Escape');
  await expect(shown).toHaveCount(0);
  await expect(page.getByTestId('secrets')).toContainText('from the keyboard');

  // A key imported from the keyboard: the Keys tab, Import key, the file (chosen by the test:
  // a file picker is the operating system's), then Enter on Import.
  const keys = page.getByRole('link', { name: 'Keys', exact: true });
  await keys.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/keys$/);
  await hydrated(page);
  const importButton = page.getByRole('button', { name: 'Import key' });
  await importButton.focus();
  await page.keyboard.press('Enter');
  const importDialog = page.getByRole('dialog', { name: 'Import key' });
  await expect(importDialog).toBeVisible();
  expect(await inDialog()).toBe(true);
  await importDialog.getByLabel(/^File/).setInputFiles(path.join(FIXTURES, 'p256-cert.pem'));
  await importDialog.getByRole('button', { name: 'Import' }).focus();
  await page.keyboard.press('Enter');
  await expect(importDialog).toHaveCount(0);
  await expect(page.locator('tbody tr[data-key-id]')).toHaveCount(1);
});
