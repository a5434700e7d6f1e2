import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

// Issue 17 §3: a realm's client scopes, and a client's default and optional scopes on its
// Settings tab; every page is rendered by the server, its forms post natively.
test('an operator creates a client scope and gives it to a client as optional', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, ADMIN.user, ADMIN.password);
  await page.getByRole('link', { name: 'Client scopes' }).click();
  await expect(page).toHaveURL(/\/console\/master\/client-scopes$/);
  await hydrated(page);
  await page.getByLabel('Name').fill('invoices.read');
  await page.getByLabel('Description').fill('Read invoices');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('status')).toContainText('Client scope created.');
  await expect(page.getByRole('table', { name: 'Client scopes' })).toContainText('invoices.read');

  await page.getByRole('link', { name: 'Clients' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create client' });
  await dialog.getByLabel('Client ID').fill('invoicer');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.reload();
  await hydrated(page);
  await page.getByLabel('Add scope').selectOption({ label: 'invoices.read' });
  await page.getByLabel('as', { exact: true }).selectOption('optional');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByTestId('optional-client-scopes')).toContainText('invoices.read');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('optional-client-scopes')).toContainText('invoices.read');
  // Still a working page: the tabs navigate.
  await page.getByRole('link', { name: 'Credentials' }).click();
  await expect(page).toHaveURL(/\/credentials$/);
  expect(errors).toEqual([]);
});
