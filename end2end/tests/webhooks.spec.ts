// Issue 22 in the browser: the realm's Secret lifecycle policy saved and applied (a secret
// without an expiry refused, naming the policy), a webhook added on its page, its signing key
// shown on asking, and the event of a regenerated secret listed on the Deliveries page. axe
// finds nothing on either page.
import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, hydrated, signIn } from './helpers';

async function violations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('an admin adds a webhook, sees its key and the deliveries of a rotation', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await signIn(page, ADMIN.user, ADMIN.password);
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await expect(page).toHaveURL(/\/console\/master\/webhooks$/);
  await hydrated(page);
  await expect(page.getByText('No webhook yet')).toBeVisible();
  // A private address is refused by the fetcher's rules, and the form speaks to the operator.
  await page.getByLabel('URL').fill('https://10.0.0.5/hook');
  await page.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByRole('alert')).toContainText('internal address');
  await page.getByLabel('URL').fill('https://93.184.215.14/hook');
  await page.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByRole('table', { name: 'Webhooks' })).toContainText('https://93.184.215.14/hook');
  await expect(page.getByRole('table', { name: 'Webhooks' })).toContainText('credential.rotated');
  expect(await violations(page)).toEqual([]);
  await page.getByRole('link', { name: 'Show signing key' }).click();
  await expect(page.getByTestId('webhook-key')).toContainText('audited');

  // A client whose secret is generated: the rotation is queued for the webhook.
  await page.goto('/console/master/clients');
  await hydrated(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('hooked-service');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByRole('link', { name: 'Credentials' }).click();
  await expect(page).toHaveURL(/\/credentials$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Generate secret' }).click();
  const dialog = page.getByRole('dialog', { name: 'Generate secret' });
  await dialog.getByRole('button', { name: 'Generate' }).click();
  const shown = page.getByRole('dialog', { name: 'New client secret' });
  await expect(shown).toBeVisible();
  expect(await shown.getByTestId('new-secret-value').inputValue()).toMatch(/^kw_[0-9A-Za-z]{70}$/);

  await page.goto('/console/master/deliveries');
  await expect(page.getByRole('heading', { name: 'Deliveries' })).toBeVisible();
  await expect(page.getByTestId('delivery-row').filter({ hasText: 'credential.rotated' })).toHaveCount(1);
  expect(await violations(page)).toEqual([]);
  expect(pageErrors).toEqual([]);
});
