// Issue 21 in the browser: an identity provider added on its page (the in-cluster note, the
// keys' status after "Fetch keys"), a client switched to Signed JWT - Federated and bound on its
// Credentials tab (a claims expression that does not parse is refused with its position), and
// the token tester saying which rule a pasted token passes or fails. axe finds nothing.
import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, hydrated, signIn } from './helpers';

async function violations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A JWT-shaped token (its signature is not one: the tester must say where it stops). */
function token(claims: object): string {
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b({ alg: 'RS256', kid: 'k1' })}.${b(claims)}.${Buffer.from('not a signature').toString('base64url')}`;
}

test('an operator trusts an identity provider, binds a client and tests a token', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await signIn(page, ADMIN.user, ADMIN.password);
  await page.getByRole('link', { name: 'Identity providers' }).click();
  await expect(page).toHaveURL(/\/console\/master\/identity-providers$/);
  await hydrated(page);
  await expect(page.getByText('No identity provider yet')).toBeVisible();

  // The cluster's in-cluster issuer: added, with the note about private addresses.
  await page.getByLabel('Alias').fill('cluster');
  await page.getByLabel('Kind').selectOption('kubernetes');
  await expect(page.getByLabel('Trust domain')).toBeHidden();
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByText('Identity provider added.')).toBeVisible();
  await hydrated(page);
  const table = page.getByRole('table', { name: 'Identity providers' });
  await expect(table).toContainText('https://kubernetes.default.svc.cluster.local');
  await expect(table).toContainText('resolves only inside the cluster');
  // Keys cannot be fetched from there: the table says so.
  await page.getByRole('button', { name: 'Fetch the keys of cluster' }).click();
  await expect(page.getByText('Keys fetched; the table shows the outcome.')).toBeVisible();
  await expect(table.getByTestId('provider-keys')).toContainText('never fetched');
  await hydrated(page);
  // A SPIFFE trust domain shows its own fields; a bad one is refused with the reason.
  await page.getByLabel('Alias').fill('mesh');
  await page.getByLabel('Kind').selectOption('spiffe');
  await expect(page.getByLabel('Issuer')).toBeHidden();
  await page.getByLabel('Trust domain').fill('Example.ORG');
  await page.getByLabel('Bundle endpoint').fill('https://spire.example.org/bundle');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'trustDomain holds only lower-case' })).toBeVisible();
  await hydrated(page);
  // Another organisation's IdP.
  await page.getByLabel('Alias').fill('partner');
  await page.getByLabel('Kind').selectOption('oidc');
  await page.getByLabel('Issuer').fill('https://idp.partner.example');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByText('Identity provider added.')).toBeVisible();
  await hydrated(page);
  expect(await violations(page)).toEqual([]);

  // A client that stores nothing: Signed JWT - Federated.
  await page.getByRole('link', { name: 'Clients' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Create client' }).click();
  const create = page.getByRole('dialog', { name: 'Create client' });
  await create.getByLabel('Client ID').fill('partner-ci');
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await page.getByRole('link', { name: 'Credentials' }).click();
  await hydrated(page);
  await page.getByLabel('Client authenticator').selectOption('federated-jwt');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await hydrated(page);
  const bindings = page.getByTestId('federated-bindings');
  await expect(bindings).toContainText('No binding yet');

  // A claims expression that does not parse: refused with its position, nothing added.
  await bindings.getByLabel('Label').fill('main');
  await bindings.getByLabel('Identity provider').selectOption('partner');
  await bindings.getByLabel('Claims expression (optional)').fill("claims['sub'] matches 'ci-*");
  await bindings.getByRole('button', { name: 'Add binding' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'does not parse at character' })).toBeVisible();
  await hydrated(page);
  await expect(page.getByTestId('federated-bindings')).toContainText('No binding yet');
  await bindings.getByLabel('Label').fill('main');
  await bindings.getByLabel('Identity provider').selectOption('partner');
  await bindings.getByLabel('Subject (the token\'s sub, exactly)').fill('ci-runner');
  await bindings.getByRole('button', { name: 'Add binding' }).click();
  await expect(page.getByText('Binding added.')).toBeVisible();
  await hydrated(page);
  await expect(page.getByTestId('bindings')).toContainText('ci-runner');

  // The tester: a token of the partner passes the issuer rule and stops at the keys, which
  // cannot be fetched here; a made-up string is not a JWT.
  const now = Math.floor(Date.now() / 1000);
  await page.getByLabel('Token', { exact: true }).fill(token({
    iss: 'https://idp.partner.example', sub: 'ci-runner', aud: 'x', exp: now + 60, jti: 'j1',
  }));
  await page.getByRole('button', { name: 'Test' }).click();
  const report = page.getByTestId('token-test');
  await expect(report.getByRole('row', { name: /Issued by an identity provider of the realm/ })).toContainText('passes');
  await expect(report.getByRole('row', { name: /The provider's keys are available/ })).toContainText('fails');
  await page.getByLabel('Token', { exact: true }).fill('nonsense');
  await page.getByRole('button', { name: 'Test' }).click();
  await expect(report.getByRole('row', { name: /A signed JWT/ })).toContainText('fails');
  expect(await violations(page)).toEqual([]);
  expect(pageErrors).toEqual([]);
});
