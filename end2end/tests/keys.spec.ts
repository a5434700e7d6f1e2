import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn } from './helpers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const FIXTURES = path.join(__dirname, '..', '..', 'credentials', 'tests', 'fixtures', 'keys');

async function importFile(page: Page, file: string, format = '', password = '', alias = '') {
  await page.getByRole('button', { name: 'Import key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import key' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Format').selectOption(format);
  await dialog.getByLabel(/^File/).setInputFiles(path.join(FIXTURES, file));
  if (password) await dialog.getByLabel(/Store password/).fill(password);
  if (alias) await dialog.getByLabel(/Key alias/).fill(alias);
  await dialog.getByRole('button', { name: 'Import' }).click();
  return dialog;
}

test('an operator imports a PEM certificate, a JWKS and a PKCS12; a bad file shows its error and changes nothing', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  await signIn(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('signer');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByRole('link', { name: 'Keys' }).click();
  await expect(page).toHaveURL(/\/keys$/);
  await hydrated(page);
  await expect(page.getByText('No key registered')).toBeVisible();
  const rows = page.getByTestId('keys').locator('tbody tr');

  // The keystore fields show for a keystore (or a format left to recognise), not for a PEM or
  // JWK format (CSS on the chosen option: no script).
  await page.getByRole('button', { name: 'Import key' }).click();
  const formDialog = page.getByRole('dialog', { name: 'Import key' });
  await expect(formDialog.getByLabel(/Store password/)).toBeVisible();
  await formDialog.getByLabel('Format').selectOption('jwk');
  await expect(formDialog.getByLabel(/Store password/)).toBeHidden();
  await formDialog.getByLabel('Format').selectOption('pkcs12');
  await expect(formDialog.getByLabel(/Store password/)).toBeVisible();
  await formDialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(formDialog).toBeHidden();

  // A certificate PEM, recognised from the file.
  let dialog = await importFile(page, 'rsa2048-cert.pem');
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('import-result')).toHaveText('Imported 1 key.');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('RSA 2048 bits');
  await expect(rows.first()).toContainText("Keycloak's kid");
  await expect(rows.first()).toContainText('CN=');

  // A JSON Web Key Set: its five keys with their kids.
  dialog = await importFile(page, 'all.jwks', 'jwks');
  await expect(dialog).toBeHidden();
  await expect(rows).toHaveCount(6);
  await expect(page.locator('tr[data-kid="p256-kid"]')).toContainText('EC P-256');

  // A PKCS12 (made by keytool) with its store password and alias.
  dialog = await importFile(page, 'keytool.p12', 'pkcs12', 'storepass1', 'billing');
  await expect(dialog).toBeHidden();
  await expect(rows).toHaveCount(7);

  // Bad files: the form posts natively, so the tab comes back with the import's error (the
  // dialog closed, its password field empty); the key list is unchanged.
  const importError = page.getByRole('alert');
  dialog = await importFile(page, 'p256-private-pkcs8.pem');
  await expect(dialog).toBeHidden();
  await expect(importError).toHaveText('this is a private key: upload the public key');
  dialog = await importFile(page, 'keytool.p12', 'pkcs12', 'not-the-password');
  await expect(dialog).toBeHidden();
  await expect(importError).toHaveText('wrong keystore password');
  await page.getByRole('button', { name: 'Import key' }).click();
  await expect(dialog.getByLabel(/Store password/)).toHaveValue('');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  dialog = await importFile(page, 'rsa1024-cert.pem', 'cert');
  await expect(dialog).toBeHidden();
  await expect(importError).toContainText('at least 2048');
  // A file of 3 MiB, over what any request may carry: refused before it is read, and the
  // browser still comes back to the tab with the reason.
  const big = path.join(os.tmpdir(), `keyward-big-${process.pid}.pem`);
  fs.writeFileSync(big, Buffer.alloc(3 * 1024 * 1024, 'x'));
  await page.getByRole('button', { name: 'Import key' }).click();
  await dialog.getByLabel(/^File/).setInputFiles(big);
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(importError).toHaveText('the file is larger than 1 MiB');
  fs.unlinkSync(big);
  await expect(rows).toHaveCount(7);

  // Deactivate a key, then delete it after confirming.
  const p256 = page.locator('tr[data-kid="p256-kid"]');
  await p256.getByRole('button', { name: 'Deactivate' }).click();
  await expect(p256).toContainText('inactive');
  await p256.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete key' }).getByRole('button', { name: 'Delete' }).click();
  await expect(rows).toHaveCount(6);
  await expect(p256).toHaveCount(0);

  // Six keys with long kids and thumbprints fit the page at 1280 px and at 1024 px: no sideways
  // scrolling, and the row actions stay on screen.
  for (const width of [1280, 1024]) {
    await page.setViewportSize({ width, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `sideways overflow at ${width} px`).toBeLessThanOrEqual(0);
    const box = await page.locator('tr[data-kid="ed25519-kid"]').getByRole('button', { name: 'Deactivate' }).boundingBox();
    expect(box && box.x + box.width <= width, `row actions on screen at ${width} px`).toBeTruthy();
  }
  await page.setViewportSize({ width: 1280, height: 720 });

  // The public key downloads as a PEM file.
  const download = page.waitForEvent('download');
  await page.locator('tr[data-kid="ed25519-kid"]').getByRole('link', { name: 'PEM' }).click();
  expect((await download).suggestedFilename()).toBe('ed25519-kid.pem');

  // The JWKS URL form is an island: the server's refusal shows beside the field and the URL
  // stays as typed.
  await page.getByLabel('Use JWKS URL').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText('enter the JWKS URL to use');
  await expect(page).toHaveURL(/\/keys(\?|$)/);
  await page.getByLabel('JWKS URL', { exact: true }).fill('https://10.0.0.1/jwks.json');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('10.0.0.1');
  await expect(page.getByLabel('JWKS URL', { exact: true })).toHaveValue('https://10.0.0.1/jwks.json');

  expect(pageErrors).toEqual([]);
});

test('an operator generates a PKCS12: it downloads, its certificate is listed, the snippet names its type and alias; the Installation tab shows keycloak.json', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const pageErrors: string[] = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  await signIn(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('reports');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByRole('link', { name: 'Keys' }).click();
  await hydrated(page);

  await page.getByRole('button', { name: 'Generate new keys' }).click();
  const dialog = page.getByRole('dialog', { name: 'Generate new keys' });
  await expect(dialog.getByLabel('Key alias')).toHaveValue('reports');
  const storePassword = await dialog.getByLabel('Store password', { exact: true }).inputValue();
  expect(storePassword.length).toBeGreaterThanOrEqual(20);
  await dialog.getByLabel('Keystore format').selectOption('PKCS12');
  await dialog.getByLabel('Key algorithm').selectOption('RSA-2048');
  await dialog.getByLabel('Key alias').fill('reports-key');
  const download = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Generate and download' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('reports.p12');
  const saved = await file.path();
  expect(saved).toBeTruthy();

  const shown = page.getByRole('dialog', { name: 'Keystore generated' });
  await expect(shown).toBeVisible();
  const snippet = shown.getByTestId('generated-json');
  await expect(snippet).toContainText('"client-keystore-type": "PKCS12"');
  await expect(snippet).toContainText('"client-key-alias": "reports-key"');
  await expect(snippet).toContainText('"client-keystore-file": "classpath:reports.p12"');
  await expect(snippet).not.toContainText(storePassword);
  // A PKCS12 has one password: no separate key password in keycloak.json; the passwords chosen
  // are shown this once beside the result.
  await expect(snippet).not.toContainText('client-key-password');
  await expect(shown.getByTestId('keystore-passwords')).toContainText(storePassword);
  await shown.getByRole('button', { name: 'Copy keycloak.json' }).click();
  await expect(shown.getByRole('button', { name: 'Copied' })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain('"client-key-alias": "reports-key"');
  await shown.getByRole('button', { name: 'Done' }).click();

  const rows = page.getByTestId('keys').locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('generated');
  await expect(rows.first()).toContainText('CN=reports');

  await page.getByRole('link', { name: 'Installation' }).click();
  await expect(page).toHaveURL(/\/installation$/);
  await expect(page.getByTestId('snippet-keycloak.json')).toContainText('"resource": "reports"');
  await expect(page.getByTestId('snippet-application.yml')).toContainText('authorization-grant-type: client_credentials');
  expect(pageErrors).toEqual([]);
});
