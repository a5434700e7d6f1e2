import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

test('an admin signs in, manages a realm and a client, and signs out', async ({ page }) => {
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) cspViolations.push(m.text());
  });
  await signIn(page, ADMIN.user, ADMIN.password);

  // Create a realm.
  await page.getByRole('link', { name: 'Manage realms' }).click();
  await expect(page.getByRole('heading', { name: 'Realms' })).toBeVisible();
  await page.getByLabel('Realm name').fill('acme');
  await page.getByLabel('Display name').fill('Acme Corp');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Realm created.');
  await expect(page.getByRole('table', { name: 'Realms' })).toContainText('Acme Corp');

  // A bad realm name gets a clear inline error from the server.
  await page.getByLabel('Realm name').fill('acme');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('already exists');

  // Choose the realm in the sidebar's realm menu (a disclosure of links: no script).
  const realmMenu = page.getByTestId('realm-menu');
  await realmMenu.locator('summary').click();
  await realmMenu.getByRole('link', { name: /\(acme\)$|^acme$/ }).click();
  await expect(page).toHaveURL(/\/console\/acme\/clients$/);
  await expect(realmMenu.locator('summary')).toContainText('acme');
  await expect(page.getByText('No clients yet')).toBeVisible();

  // The "Create client" dialog: the browser's own modal dialog (no script needed).
  await page.getByRole('button', { name: 'Create client' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create client' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Client ID').fill('billing-service');
  await dialog.getByLabel('Name').fill('Billing service');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/console\/acme\/clients\/[0-9a-f-]+\/settings$/);
  await expect(page.getByRole('heading', { name: 'billing-service' })).toBeVisible();

  // A second client, then find the first by search.
  await page.goto('/console/acme/clients');
  await hydrated(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  await dialog.getByLabel('Client ID').fill('orders-api');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.goto('/console/acme/clients');
  await hydrated(page);
  await expect(page.getByRole('table', { name: 'Clients' }).getByRole('row')).toHaveCount(3);
  await page.getByLabel('Search by client id or name').fill('BILLING');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/search=BILLING/);
  const rows = page.getByRole('table', { name: 'Clients' }).getByRole('row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText('billing-service');

  // Edit it.
  await page.getByRole('link', { name: 'billing-service' }).click();
  await expect(page.getByRole('heading', { name: 'billing-service' })).toBeVisible();
  await page.getByLabel('Name').fill('Billing (renamed)');
  await page.getByLabel('Access type').selectOption('public');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');
  // A second save uses the new version (no false "changed by someone else").
  await page.getByLabel('Description').fill('Charges customers');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Name')).toHaveValue('Billing (renamed)');
  await expect(page.getByLabel('Access type')).toHaveValue('public');

  // The other tabs say what will be there.
  await page.getByRole('link', { name: 'Credentials' }).click();
  await expect(page).toHaveURL(/\/credentials$/);
  await expect(page.getByText('A public client does not authenticate')).toBeVisible();
  await page.getByRole('link', { name: 'Settings', exact: true }).click();

  // Delete with confirmation; Cancel first keeps it.
  await page.getByRole('button', { name: 'Delete client' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete client?' });
  await expect(confirm).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(confirm).toBeHidden();
  await page.getByRole('button', { name: 'Delete client' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/console\/acme\/clients$/);
  await expect(page.getByRole('table', { name: 'Clients' })).not.toContainText('billing-service');
  await expect(page.getByRole('table', { name: 'Clients' })).toContainText('orders-api');

  // Sign out; Back shows nothing of what the operator saw (every console page is no-store).
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/login\?next=%2Fconsole%2Facme%2Fclients$/);
  await expect(page.getByText('orders-api')).toHaveCount(0);
  // The whole walk ran under the Content-Security-Policy without a single violation.
  expect(cspViolations).toEqual([]);
  await page.goto('/console/acme/clients');
  await expect(page).toHaveURL(/\/login\?next=%2Fconsole%2Facme%2Fclients$/);
  await expect(page.getByRole('status')).toContainText('Sign in to continue where you were.');
});

test('a viewer reads clients but cannot edit them', async ({ page, browser }) => {
  await signIn(page, ADMIN.user, ADMIN.password);
  await page.getByRole('link', { name: 'Operators' }).click();
  await page.getByLabel('Username').fill('victor');
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByLabel('Password (at least 12 characters)').fill('viewer-password-1');
  await page.getByLabel('Repeat the password').fill('viewer-password-1');
  await page.getByRole('button', { name: 'Add operator' }).click();
  await expect(page.getByRole('status')).toContainText('Operator added.');
  await expect(page.getByRole('table', { name: 'Operators' })).toContainText('victor');

  await page.goto('/console/master/clients');
  await hydrated(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create client' });
  await dialog.getByLabel('Client ID').fill('reporting');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  const clientUrl = page.url();

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, 'victor', 'viewer-password-1');
  await expect(viewer.getByRole('button', { name: 'Create client' })).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: 'Operators' })).toHaveCount(0);
  await viewer.goto(clientUrl);
  await hydrated(viewer);
  await expect(viewer.getByText('Your role can read this client but not change it.')).toBeVisible();
  await expect(viewer.getByLabel('Name')).toBeDisabled();
  await expect(viewer.getByRole('button', { name: 'Save' })).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: 'Delete client' })).toHaveCount(0);
  await viewerContext.close();
});
