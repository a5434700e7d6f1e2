import { test, expect } from '@playwright/test';
import * as path from 'path';
import { ADMIN } from './helpers';

const FIXTURES = path.join(__dirname, '..', '..', 'credentials', 'tests', 'fixtures', 'keys');

// Issue 19 §2: pages are rendered on the server and forms post natively, so the console works
// before (and without) its wasm. With JavaScript off in the browser: sign in, create a realm,
// see a refusal on the page, create a client in the browser's own modal dialog (HTML invoker
// commands need no script), save it, import a key file (a multipart form), and delete the
// client after the confirmation dialog.
test.use({ javaScriptEnabled: false });

test('without JavaScript, an admin creates a realm and a client, edits and deletes it', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill(ADMIN.user);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/console\/[^/]+\/clients$/);

  await page.getByRole('link', { name: 'Manage realms' }).click();
  await page.getByLabel('Realm name').fill('nojs');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Realm created.');
  await expect(page.getByRole('table', { name: 'Realms' })).toContainText('nojs');
  // The same name again: the server's refusal, on the page it came from.
  await page.getByLabel('Realm name').fill('nojs');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('already exists');
  await expect(page).toHaveURL(/\/console\/realms\?/);

  await page.goto('/console/nojs/clients');
  await page.getByRole('button', { name: 'Create client' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create client' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Client ID').fill('plain-html');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/console\/nojs\/clients\/[0-9a-f-]+\/settings$/);
  await expect(page.getByRole('heading', { name: 'plain-html' })).toBeVisible();

  await page.getByLabel('Name').fill('Plain HTML');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');
  await expect(page.getByLabel('Name')).toHaveValue('Plain HTML');

  await page.getByRole('link', { name: 'Keys' }).click();
  await page.getByRole('button', { name: 'Import key' }).click();
  const importDialog = page.getByRole('dialog', { name: 'Import key' });
  await importDialog.getByLabel(/^File/).setInputFiles(path.join(FIXTURES, 'all.jwks'));
  await importDialog.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('import-result')).toHaveText('Imported 5 keys.');
  await expect(page.getByTestId('keys').locator('tbody tr')).toHaveCount(5);

  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: 'Delete client' }).click();
  await page.getByRole('dialog', { name: 'Delete client?' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/console\/nojs\/clients$/);
  await expect(page.getByText('No clients yet')).toBeVisible();
});
