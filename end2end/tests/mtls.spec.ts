// Issue 20 in the browser: the X.509 method on the Credentials tab. The subject DN block shows
// only while "X509 Certificate" is chosen (CSS), a pasted certificate's DN is read by a GET form
// to copy from, a regular expression that does not compile is refused with its reason and
// nothing changes, and the saved settings come back. axe finds nothing with the block shown.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ADMIN, hydrated, signIn } from './helpers';

function certificate(subject: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-days', '1', '-subj', subject, '-addext', 'subjectAltName=DNS:gw.acme.test',
    '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
  return fs.readFileSync(path.join(dir, 'c.pem'), 'utf8');
}

test('an operator configures an X.509 client from a pasted certificate', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const pageErrors: string[] = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  await signIn(page, ADMIN.user, ADMIN.password);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('bank-gw');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByRole('link', { name: 'Credentials' }).click();
  await hydrated(page);

  const method = page.getByLabel('Client authenticator');
  const dn = page.getByLabel('Subject DN', { exact: true });
  await expect(dn).toBeHidden();
  await method.selectOption('client-x509');
  await expect(dn).toBeVisible();
  await expect(page.getByTestId('method-help')).toContainText('KEYWARD_MTLS_CA');
  await expect(page.getByText('no mTLS listener here')).toBeVisible();
  await method.selectOption('self-signed-tls-client-auth');
  await expect(dn).toBeHidden();
  await expect(page.getByTestId('method-help')).toContainText('registered on the Keys tab');

  // Paste a certificate: its subject DN, SAN and thumbprint, with a copy button.
  await page.getByLabel('PEM certificate').fill(certificate('/O=Acme/CN=bank-gw'));
  await page.getByRole('button', { name: 'Read' }).click();
  await expect(page).toHaveURL(/inspect=/);
  await hydrated(page);
  await expect(page.getByTestId('inspected-dn')).toHaveText('CN=bank-gw,O=Acme');
  await expect(page.getByTestId('certificate-facts')).toContainText('dns:gw.acme.test');
  await expect(page.getByTestId('certificate-facts')).toContainText('(self-signed)');
  await page.getByRole('button', { name: 'Copy DN' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('CN=bank-gw,O=Acme');
  // Something that is not a certificate says so.
  await page.getByLabel('PEM certificate').fill('hello');
  await page.getByRole('button', { name: 'Read' }).click();
  await expect(page.getByTestId('certificate-inspector').getByRole('alert')).toContainText('no -----BEGIN CERTIFICATE----- block');
  await hydrated(page);

  // A pattern that does not compile is refused with the reason; the method stays as it was.
  await method.selectOption('client-x509');
  await dn.fill('CN=(bank');
  await page.getByLabel(/subject DN is a regular expression/).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'does not compile' })).toBeVisible();
  await hydrated(page);
  await expect(method).toHaveValue('client-secret');

  // The DN copied from the certificate, compared canonically; bound tokens on.
  await method.selectOption('client-x509');
  await dn.fill('CN=bank-gw,O=Acme');
  await page.getByLabel(/subject DN is a regular expression/).uncheck();
  await page.getByLabel('Required subject alternative name (optional)').fill('dns:gw.acme.test');
  await page.getByLabel(/Certificate-bound access tokens/).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await hydrated(page);
  await expect(method).toHaveValue('client-x509');
  await expect(dn).toBeVisible();
  await expect(dn).toHaveValue('CN=bank-gw,O=Acme');
  await expect(page.getByLabel(/Certificate-bound access tokens/)).toBeChecked();

  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target).join(' ')}`)).toEqual([]);
  expect(pageErrors).toEqual([]);
});
