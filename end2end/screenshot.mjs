// Takes docs/screenshot.png: starts nothing itself; run it against a Keyward started with
// KEYWARD_BOOTSTRAP_ADMIN_USERNAME=admin KEYWARD_BOOTSTRAP_ADMIN_PASSWORD=admin-password-e2e.
// Usage: node screenshot.mjs http://127.0.0.1:3917 ../docs/screenshot.png [../docs/credentials.png [../docs/federation.png]]
import { chromium } from '@playwright/test';

const [base, out, credentialsOut, federationOut] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
await page.goto(`${base}/login`);
await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
await page.getByLabel('Username').fill('admin');
await page.getByLabel('Password').fill('admin-password-e2e');
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForURL(/clients$/);
const { csrf } = await (await page.request.post(`${base}/api/session_info`)).json();
const call = (name, form) => page.request.post(`${base}/api/${name}`, { form: { csrf, ...form } });
await call('create_realm', { name: 'acme', display_name: 'Acme Corp' });
const services = [
  ['billing-service', 'Billing service', 'confidential'], ['orders-api', 'Orders API', 'confidential'],
  ['inventory-sync', 'Inventory sync job', 'confidential'], ['mobile-app', 'Mobile app', 'public'],
  ['reporting', 'Reporting dashboards', 'confidential'], ['shipping-gateway', 'Shipping gateway', 'confidential'],
  ['web-frontend', 'Web front end', 'public'],
];
const ids = {};
for (const [client_id, name, access_type] of services) {
  const created = await call('create_client', { realm: 'acme', client_id, name, description: '', access_type });
  ids[client_id] = (await created.json()).id;
}
await page.goto(`${base}/console/acme/clients`);
await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
await page.getByRole('table', { name: 'Clients' }).waitFor();
await page.screenshot({ path: out });
if (credentialsOut) {
  const id = ids['billing-service'];
  await call('regenerate_secret', { realm: 'acme', id, label: 'deploy 2026-10', overlap_hours: '0', expires_in_days: '' });
  await call('regenerate_secret', { realm: 'acme', id, label: 'deploy 2026-11', overlap_hours: '48', expires_in_days: '365' });
  await page.goto(`${base}/console/acme/clients/${id}/credentials`);
  await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
  await page.getByTestId('secrets').waitFor();
  await page.screenshot({ path: credentialsOut });
}
if (federationOut) {
  // A secretless client: a GitHub Actions deployment bound by a claims expression, and the
  // token tester's report on a token from another branch.
  await call('create_identity_provider', { realm: 'acme', alias: 'github', kind: 'github-actions', display_name: 'GitHub Actions' });
  await call('create_identity_provider', { realm: 'acme', alias: 'prod-cluster', kind: 'kubernetes', display_name: 'Production cluster', issuer: 'https://oidc.prod.acme.example' });
  const id = ids['orders-api'];
  const creds = await (await page.request.post(`${base}/api/get_credentials`, { form: { realm: 'acme', id } })).json();
  await call('set_authenticator', { realm: 'acme', id, version: String(creds.version), authenticator: 'federated-jwt', signing_alg: '', assertion_max_exp_s: '60' });
  await call('add_federated_binding', { realm: 'acme', id, label: 'deploy from main', provider: 'github', subject: '',
    expression: "claims['sub'] matches 'repo:acme/orders-*:ref:refs/heads/main' and claims['job_workflow_ref'] eq 'acme/ci/.github/workflows/deploy.yml@refs/heads/main'" });
  await call('add_federated_binding', { realm: 'acme', id, label: 'runtime', provider: 'prod-cluster', subject: 'system:serviceaccount:orders:api', expression: '' });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/console/acme/clients/${id}/credentials`);
  await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
  const b = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  await page.getByLabel('Token', { exact: true }).fill(`${b({ alg: 'RS256', kid: 'k1' })}.${b({
    iss: 'https://token.actions.githubusercontent.com', sub: 'repo:acme/orders-api:ref:refs/heads/dev',
    aud: `${base}/realms/acme`, exp: now + 300 })}.c2ln`);
  await page.getByRole('button', { name: 'Test' }).click();
  await page.getByTestId('token-test').waitFor();
  await page.getByTestId('federated-bindings').scrollIntoViewIfNeeded();
  await page.getByTestId('federated-bindings').screenshot({ path: federationOut });
}
await browser.close();
