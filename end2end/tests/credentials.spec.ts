import { test, expect, Page } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

async function regenerate(page: Page, label: string, overlapHours: string): Promise<string> {
  // "Generate secret" for the client's first secret, "Regenerate secret" after.
  await page.getByRole('button', { name: /^(Generate|Regenerate) secret$/ }).click();
  const dialog = page.getByRole('dialog', { name: /^(Generate|Regenerate) secret$/ });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Label').fill(label);
  await dialog.getByLabel(/Overlap for the current secrets/).fill(overlapHours);
  await dialog.getByRole('button', { name: /^(Generate|Regenerate)$/ }).click();
  const shown = page.getByRole('dialog', { name: 'New client secret' });
  await expect(shown).toBeVisible();
  await expect(shown).toContainText('only time Keyward shows it');
  const value = await shown.getByTestId('new-secret-value').inputValue();
  expect(value).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  await expect(shown.getByTestId('new-secret-json')).toContainText(`"secret": "${value}"`);
  return value;
}

test('an operator sets client-secret, regenerates with overlap, copies and revokes; a viewer sees no value', async ({ page, browser }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  // A panic in the WASM (e.g. a hydration mismatch) leaves a page that looks fine but is dead.
  const pageErrors: string[] = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  await signIn(page, ADMIN.user, ADMIN.password);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('payments');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  const credentialsUrl = page.url().replace(/\/settings$/, '/credentials');

  await page.getByRole('link', { name: 'Credentials' }).click();
  await expect(page).toHaveURL(/\/credentials$/);
  await hydrated(page);
  const method = page.getByLabel('Client authenticator');
  await expect(method).toHaveValue('client-secret');
  await expect(page.getByText('No secret yet')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Generate secret' })).toBeVisible();

  // Changing the method explains what the client must now send (the picker is an island).
  await method.selectOption('client-jwt');
  await expect(page.getByTestId('method-help')).toContainText('client_assertion');
  await expect(page.getByText('requests that use the old method are refused')).toBeVisible();
  await expect(page.getByLabel('Signature algorithm')).toBeVisible();
  await method.selectOption('client-secret');
  await expect(page.getByLabel('Signature algorithm')).toHaveCount(0);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(method).toHaveValue('client-secret');

  // First secret, copied with the copy button.
  const first = await regenerate(page, 'first', '0');
  const shown = page.getByRole('dialog', { name: 'New client secret' });
  await shown.getByRole('button', { name: 'Copy secret' }).click();
  await expect(shown.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);
  await shown.getByRole('button', { name: 'Done' }).click();
  await expect(shown).toBeHidden();
  // Done loads the tab again without the earlier form's outcome in the URL ("Saved." is gone).
  await expect(page).toHaveURL(/\/credentials$/);
  await expect(page.getByText('Saved.')).toHaveCount(0);

  // Regenerate with a 24-hour overlap: both secrets are active.
  const second = await regenerate(page, 'second', '24');
  expect(second).not.toBe(first);
  await page.getByRole('dialog', { name: 'New client secret' }).getByRole('button', { name: 'Done' }).click();
  const table = page.getByTestId('secrets');
  await expect(table.getByRole('row')).toHaveCount(3);
  const firstRow = table.getByRole('row').filter({ hasText: 'first' });
  await expect(firstRow).toContainText('active, in overlap until');
  await expect(table.getByRole('row').filter({ hasText: 'second' })).toContainText('active, primary');
  await expect(page.getByRole('button', { name: 'Regenerate secret' })).toBeVisible();

  // Revoke the old one, with confirmation.
  await firstRow.getByRole('button', { name: 'Revoke' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke secret' });
  await expect(confirm).toBeVisible();
  await confirm.getByRole('button', { name: 'Revoke' }).click();
  await expect(table.getByRole('row').filter({ hasText: 'first' })).toContainText('revoked');
  await expect(table.getByRole('row').filter({ hasText: 'second' })).toContainText('active');
  // Saving the method bumped the client's version: Settings, reached by its tab, saves against
  // the current version (no false "changed by someone else").
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByLabel('Name').fill('Payments');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByRole('link', { name: 'Credentials' }).click();
  await expect(page).toHaveURL(/\/credentials$/);
  await expect(page.getByTestId('secrets').getByRole('row')).toHaveCount(3);
  // The values are never shown again.
  await page.reload();
  await hydrated(page);
  expect(await page.content()).not.toContain(first);
  expect(await page.content()).not.toContain(second);

  // A JWT method does not use the secrets: they stay listed, revocable, with a note.
  await page.getByLabel('Client authenticator').selectOption('client-jwt');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('does not use these secrets')).toBeVisible();
  await expect(page.getByTestId('secrets').getByRole('row')).toHaveCount(3);
  await expect(page.getByTestId('secrets').getByRole('button', { name: 'Revoke' })).toHaveCount(1);
  await page.getByLabel('Client authenticator').selectOption('client-secret');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('does not use these secrets')).toHaveCount(0);

  expect(pageErrors).toEqual([]);
  // A viewer sees the secrets' metadata, no value, and no buttons.
  await page.getByRole('link', { name: 'Operators' }).click();
  await page.getByLabel('Username').fill('vic');
  await page.getByLabel('Role', { exact: true }).selectOption('viewer');
  await page.getByLabel('Password (at least 12 characters)').fill('viewer-password-2');
  await page.getByLabel('Repeat the password').fill('viewer-password-2');
  await page.getByRole('button', { name: 'Add operator' }).click();
  await expect(page.getByRole('status')).toContainText('Operator added.');
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, 'vic', 'viewer-password-2');
  await viewer.goto(credentialsUrl);
  await hydrated(viewer);
  await expect(viewer.getByText('Secret values are never shown to it')).toBeVisible();
  await expect(viewer.getByTestId('secrets').getByRole('row')).toHaveCount(3);
  await expect(viewer.getByRole('button', { name: /^(Generate|Regenerate) secret$/ })).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await expect(viewer.getByLabel('Client authenticator')).toBeDisabled();
  const html = await viewer.content();
  expect(html).not.toContain(first);
  expect(html).not.toContain(second);
  await viewerContext.close();
  expect(pageErrors).toEqual([]);
});

test('an admin of a realm that allows reveal shows a kept secret again from the secrets panel', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  await signIn(page);
  // A realm of its own, whose secret policy allows reveal.
  await page.getByRole('link', { name: 'Manage realms' }).click();
  await page.getByLabel('Realm name').fill('vault');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Realm created.');
  await page.goto('/console/vault/settings');
  await hydrated(page);
  await page.getByLabel(/Admins may reveal stored secrets again/).check();
  await page.getByRole('button', { name: 'Save secret policy' }).click();
  await expect(page.getByText('Secret policy saved.')).toBeVisible();

  await page.goto('/console/vault/clients');
  await hydrated(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('sealed');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByRole('link', { name: 'Credentials' }).click();
  await hydrated(page);
  const value = await regenerate(page, 'kept', '0');
  await page.getByRole('dialog', { name: 'New client secret' }).getByRole('button', { name: 'Done' }).click();

  // Reveal is an island in the server-rendered table; its answer opens the dialog.
  const row = page.getByTestId('secrets').getByRole('row').filter({ hasText: 'kept' });
  await row.getByRole('button', { name: 'Reveal' }).click();
  const revealed = page.getByRole('dialog', { name: 'Secret' });
  await expect(revealed.getByTestId('revealed-secret')).toHaveValue(value);
  await expect(revealed).toContainText('recorded in the admin events');
  await revealed.getByRole('button', { name: 'Done' }).click();
  await expect(revealed).toBeHidden();
  expect(pageErrors).toEqual([]);
});
