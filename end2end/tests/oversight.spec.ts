import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn } from './helpers';

async function regenerate(page: Page, label: string, expiresDays: string): Promise<string> {
  // "Generate secret" for the client's first secret, "Regenerate secret" after.
  await page.getByRole('button', { name: /^(Generate|Regenerate) secret$/ }).click();
  const dialog = page.getByRole('dialog', { name: /^(Generate|Regenerate) secret$/ });
  await dialog.getByLabel('Label').fill(label);
  await dialog.getByLabel(/Overlap for the current secrets/).fill('1');
  await dialog.getByLabel(/New secret expires in/).fill(expiresDays);
  await dialog.getByRole('button', { name: /^(Generate|Regenerate)$/ }).click();
  const shown = page.getByRole('dialog', { name: 'New client secret' });
  await expect(shown).toBeVisible();
  const value = await shown.getByTestId('new-secret-value').inputValue();
  await shown.getByRole('button', { name: 'Done' }).click();
  await expect(shown).toBeHidden();
  return value;
}

test('admin events show a rotation without its secrets; the expiry dashboard and banner show a 1-day secret', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  await signIn(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('rotating');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByRole('link', { name: 'Credentials', exact: true }).click();
  await expect(page).toHaveURL(/\/credentials$/);
  await hydrated(page);

  // A rotation: a first secret, then a second one expiring in one day.
  const first = await regenerate(page, 'before', '');
  const second = await regenerate(page, 'daily', '1');
  // The banner above the tabs follows the rotation on the next tab, without a reload.
  await page.getByRole('navigation', { name: 'Client' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/clients\/[^/]+\/settings$/);
  await expect(page.getByTestId('expiry-banner')).toContainText('Secret "daily" expires on');

  // Admin events, filtered to this client and ACTION: both regenerations, no secret value.
  await page.getByRole('link', { name: 'Admin events' }).click();
  await expect(page).toHaveURL(/\/console\/master\/events$/);
  await hydrated(page);
  await page.getByLabel('Client ID').fill('rotating');
  await page.getByLabel('Operation').selectOption('ACTION');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/client=rotating/);
  const rows = page.getByTestId('event-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('regenerate');
  await expect(rows.first()).toContainText('daily');
  await expect(rows.first()).toContainText('admin');
  // Readable: the client's id instead of its internal id, the details as fields.
  await expect(rows.first().getByRole('link')).toHaveText('clients/rotating/client-secret');
  await expect(rows.first().locator('dl.details dt').filter({ hasText: /^label$/ })).toHaveCount(1);
  await expect(rows.first().locator('dl.details')).toContainText('overlapSeconds');
  const text = await page.locator('main').innerText();
  expect(text).not.toContain(first);
  expect(text).not.toContain(second);
  // Another operation shows none of them.
  await page.getByLabel('Operation').selectOption('DELETE');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByText('No events')).toBeVisible();

  // Expiry dashboard (default window 30 days): the 1-day secret, linked to its client.
  await page.getByRole('link', { name: 'Expiry', exact: true }).click();
  await expect(page).toHaveURL(/\/console\/master\/expiry$/);
  const expiring = page.getByTestId('expiring-row').filter({ hasText: 'rotating' });
  await expect(expiring).toHaveCount(2); // "daily", and "before" within its 1-hour overlap
  await expect(expiring.filter({ hasText: 'daily' })).toContainText('expiring');
  await expiring.filter({ hasText: 'daily' }).getByRole('link', { name: 'rotating' }).click();
  await expect(page).toHaveURL(/\/credentials$/);
  await expect(page.getByTestId('expiry-banner')).toContainText('Secret "daily" expires on');
  await hydrated(page);
  // Revoking the expiring secrets takes them out of the banner at once, on the same tab.
  for (const label of ['daily', 'before']) {
    await page.getByTestId('secrets').getByRole('row').filter({ hasText: label }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: 'Revoke secret' }).getByRole('button', { name: 'Revoke' }).click();
    await expect(page.getByTestId('secrets').getByRole('row').filter({ hasText: label })).toContainText('revoked');
  }
  await expect(page.getByTestId('expiry-banner')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});
