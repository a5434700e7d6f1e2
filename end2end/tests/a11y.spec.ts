import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, hydrated, signIn } from './helpers';

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
    ['/console/master/events', /Admin events/],
    ['/console/master/expiry', /Expir/],
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
