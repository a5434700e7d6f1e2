// Keycloak's own TypeScript admin client (npm @keycloak/keycloak-admin-client, the library
// Keycloak's admin console is built on) against Keyward's Admin REST API, unchanged: no
// patching, no custom fetch, the library's own calls wherever it has them. Usage:
//   node keycloak_admin_client.mjs <base-url> <admin-client-id> <admin-secret> [cert.pem]
// (cert.pem defaults to credentials/tests/fixtures/keys/billing-cert.pem of this checkout.)
// Runs the automation flow of issue 18 step by step, each step asserted. Prints one JSON object
// with what the Rust test (server/tests/interop_keycloak_js.rs) checks; exits non-zero with the
// failing step, the HTTP status and body on the first failure. Every HTTP request the library
// sends is written to stderr ("> METHOD path" / "< status"), observed through undici's
// diagnostics channels (read only).
import KcAdminClient, { NetworkError } from '@keycloak/keycloak-admin-client';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import diagnostics from 'node:diagnostics_channel';

const [baseUrl, adminId, adminSecret, certArg] = process.argv.slice(2);
if (!baseUrl || !adminId || !adminSecret) {
  console.error('usage: node keycloak_admin_client.mjs <base-url> <admin-client-id> <admin-secret> [cert.pem]');
  process.exit(2);
}
const certFile = certArg
  ?? fileURLToPath(new URL('../../credentials/tests/fixtures/keys/billing-cert.pem', import.meta.url));
const certPem = readFileSync(certFile, 'ascii');
const certB64 = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

// What went over the wire, for the failure report (read-only observation of Node's fetch).
diagnostics.subscribe('undici:request:create', ({ request }) => {
  process.stderr.write(`> ${request.method} ${request.path}\n`);
});
diagnostics.subscribe('undici:request:headers', ({ request, response }) => {
  process.stderr.write(`< ${response.statusCode} (${request.method} ${request.path})\n`);
});

const REALM = 'kjs-realm';
const STORE_PASSWORD = 'changeit-kjs';
const CLIENT = 'kjs-client';
const ATTR = 'jwt.credential';
const { version } = JSON.parse(readFileSync(
  fileURLToPath(import.meta.resolve('@keycloak/keycloak-admin-client/package.json')), 'utf8'));
const out = { library: '@keycloak/keycloak-admin-client', version, steps: [] };
let current = '';

class StepFailure extends Error {}

function fail(message) {
  throw new StepFailure(message);
}
function check(cond, message) {
  if (!cond) fail(message);
}
function describe(e) {
  if (e instanceof StepFailure) return e.message;
  if (e instanceof NetworkError) {
    const body = typeof e.responseData === 'string' ? e.responseData : JSON.stringify(e.responseData);
    return `HTTP ${e.response.status} ${e.response.url}: ${body.slice(0, 500)}`;
  }
  return e?.stack ?? String(e);
}
async function step(name, fn) {
  current = name;
  process.stderr.write(`--- ${name}\n`);
  const value = await fn();
  out.steps.push(name);
  return value;
}
/** Runs a call that must fail with an HTTP error; returns { status, body }. */
async function httpError(fn) {
  try {
    const r = await fn();
    fail(`expected an HTTP error, got success: ${JSON.stringify(r)}`);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    return { status: e.response.status, body: e.responseData, contentType: e.response.headers.get('content-type'), message: e.message };
  }
}
function isJsonError(err) {
  return (err.contentType ?? '').includes('json') && typeof err.body === 'object' && err.body !== null;
}
/** Keyward's token endpoint with client_secret_basic (RFC 6749 §2.3.1 encoding). */
async function token(realm, clientId, secret) {
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** openssl pkcs12 on a keystore the library downloaded (Node cannot read PKCS12 itself). */
function openssl(p12, args) {
  const dir = mkdtempSync(join(tmpdir(), 'kjs-'));
  try {
    const file = join(dir, 'store.p12');
    writeFileSync(file, p12);
    return execFileSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${STORE_PASSWORD}`, ...args], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
function privateKeyOf(p12) {
  const text = openssl(p12, ['-nocerts', '-nodes']);
  return createPrivateKey(text.slice(text.indexOf('-----BEGIN')));
}
function certificateOf(p12) {
  const text = openssl(p12, ['-nokeys', '-clcerts']);
  const m = text.match(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/);
  return m ? m[1].replace(/\s+/g, '') : null;
}
/** client_credentials with private_key_jwt (RFC 7523), signed RS256 as Keycloak's adapter does. */
async function jwtToken(realm, clientId, key, withKid) {
  const endpoint = `${baseUrl.replace(/\/$/, '')}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`;
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const header = { alg: 'RS256', typ: 'JWT', ...(withKid ? { kid: createHash('sha256').update(spki).digest('base64url') } : {}) };
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: clientId, sub: clientId, aud: endpoint, jti: randomUUID(), iat: now, exp: now + 60 };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const assertion = `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function main() {
  const kc = new KcAdminClient({ baseUrl, realmName: 'master' });

  // Errors first: wrong credentials at auth answer 401.
  await step('auth with a wrong secret → 401', async () => {
    const bad = new KcAdminClient({ baseUrl, realmName: 'master' });
    const e = await httpError(() => bad.auth({ grantType: 'client_credentials', clientId: adminId, clientSecret: 'wrong-secret' }));
    check(e.status === 401, `status ${e.status}: ${JSON.stringify(e.body)}`);
    check(e.body?.error === 'invalid_client', `error ${JSON.stringify(e.body)}`);
    out.wrong_credentials = e.status;
  });

  await step('auth (client_credentials, master)', async () => {
    await kc.auth({ grantType: 'client_credentials', clientId: adminId, clientSecret: adminSecret });
    check(typeof kc.accessToken === 'string' && kc.accessToken.split('.').length === 3, 'no access token');
    out.authenticated = true;
  });

  await step('realms.find', async () => {
    const realms = await kc.realms.find();
    check(Array.isArray(realms) && realms.some((r) => r.realm === 'master'), `realms ${JSON.stringify(realms)}`);
    out.realms_listed = realms.map((r) => r.realm);
  });

  await step('realms.create (with an unknown field)', async () => {
    const r = await kc.realms.create({ realm: REALM, displayName: 'From keycloak-admin-client', enabled: true, notAKeycloakField: 42 });
    check(r?.realmName === REALM, `realms.create returned ${JSON.stringify(r)}`);
    const got = await kc.realms.findOne({ realm: REALM });
    check(got?.realm === REALM, `realms.findOne ${JSON.stringify(got)}`);
    check(!('notAKeycloakField' in got), 'the unknown field was kept');
    out.realm = { realm: got.realm, displayName: got.displayName, enabled: got.enabled };
  });

  let id;
  const clientRep = {
    realm: REALM,
    clientId: CLIENT,
    name: 'keycloak-admin-client',
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    redirectUris: [],
    alsoNotAKeycloakField: { nested: true },
  };
  await step('clients.create (with an unknown field)', async () => {
    const r = await kc.clients.create(clientRep);
    check(typeof r?.id === 'string' && r.id.length > 0, `clients.create returned ${JSON.stringify(r)}`);
    id = r.id;
    out.client_uuid = id;
  });

  await step('clients.create the same clientId again → 409', async () => {
    const e = await httpError(() => kc.clients.create(clientRep));
    check(e.status === 409, `status ${e.status}: ${JSON.stringify(e.body)}`);
    check(isJsonError(e), `not a JSON error: ${e.contentType} ${JSON.stringify(e.body)}`);
    out.duplicate = e.status;
    out.duplicate_message = e.message;
  });

  await step('clients.find({clientId})', async () => {
    const found = await kc.clients.find({ realm: REALM, clientId: CLIENT });
    check(Array.isArray(found) && found.length === 1, `found ${JSON.stringify(found)}`);
    check(found[0].id === id && found[0].clientId === CLIENT, `found ${JSON.stringify(found[0])}`);
    out.found_id = found[0].id;
    const all = await kc.clients.find({ realm: REALM, first: 0, max: 10 });
    check(all.some((c) => c.id === id), `clients.find() lacks the client: ${JSON.stringify(all.map((c) => c.clientId))}`);
    const searched = await kc.clients.find({ realm: REALM, clientId: 'kjs', search: true });
    check(searched.some((c) => c.id === id), `search=true lacks the client: ${JSON.stringify(searched.map((c) => c.clientId))}`);
  });

  let rep;
  await step('clients.findOne', async () => {
    rep = await kc.clients.findOne({ realm: REALM, id });
    check(rep?.clientId === CLIENT && rep.id === id, `findOne ${JSON.stringify(rep)}`);
    check(rep.clientAuthenticatorType === 'client-secret', `clientAuthenticatorType ${rep.clientAuthenticatorType}`);
    check(!('alsoNotAKeycloakField' in rep), 'the unknown field was kept');
    out.client = { clientId: rep.clientId, clientAuthenticatorType: rep.clientAuthenticatorType, publicClient: rep.publicClient };
  });

  let secret;
  let previous;
  await step('clients.generateNewClientSecret, the secret at the token endpoint → 200', async () => {
    const cred = await kc.clients.generateNewClientSecret({ realm: REALM, id });
    check(cred?.type === 'secret' && typeof cred.value === 'string' && cred.value.length >= 32, `credential ${JSON.stringify(cred)}`);
    secret = cred.value;
    const t = await token(REALM, CLIENT, secret);
    check(t.status === 200 && typeof t.body?.access_token === 'string', `token endpoint ${t.status}: ${JSON.stringify(t.body)}`);
    out.regenerated_len = secret.length;
    out.token_status = t.status;
    out.token_type = t.body.token_type;
  });

  await step('clients.getClientSecret', async () => {
    const cred = await kc.clients.getClientSecret({ realm: REALM, id });
    check(cred?.type === 'secret', `getClientSecret ${JSON.stringify(cred)}`);
    out.secret_type = cred.type;
    out.secret_value_shown = 'value' in cred;
  });

  await step('rotated secret read (no library call: GET client-secret/rotated) and clients.invalidateSecret', async () => {
    // A second regeneration: the first secret becomes the rotated one (Keyward keeps it for
    // the realm's overlap; Keycloak only with a secret-rotation client policy).
    previous = secret;
    const cred = await kc.clients.generateNewClientSecret({ realm: REALM, id });
    secret = cred.value;
    check(secret !== previous, 'the same secret twice');
    const newer = await token(REALM, CLIENT, secret);
    check(newer.status === 200, `token with the new secret: ${newer.status} ${JSON.stringify(newer.body)}`);
    out.previous_secret_after_regenerate = (await token(REALM, CLIENT, previous)).status;
    // The library has no getter for the rotated secret (Keycloak's admin console reads the
    // attribute client.secret.rotated of the ClientRepresentation); the request a script
    // would send, with the library's own token.
    const url = `${baseUrl.replace(/\/$/, '')}/admin/realms/${REALM}/clients/${id}/client-secret/rotated`;
    const headers = { authorization: `Bearer ${await kc.getAccessToken()}`, accept: 'application/json' };
    const before = await fetch(url, { headers });
    const body = await before.json().catch(() => null);
    check(before.status === 200 && body?.type === 'secret', `GET rotated ${before.status}: ${JSON.stringify(body)}`);
    out.rotated_before = before.status;
    const rep = await kc.clients.findOne({ realm: REALM, id });
    out.rotated_attribute = Object.keys(rep.attributes ?? {}).filter((k) => k.startsWith('client.secret'));
    const r = await kc.clients.invalidateSecret({ realm: REALM, id });
    out.invalidated = r === '' || r === undefined || r === null;
    const after = await fetch(url, { headers });
    out.rotated_after = after.status;
    check(after.status === 404, `GET rotated after invalidating: ${after.status}`);
    const old = await token(REALM, CLIENT, previous);
    check(old.status === 401, `token with the invalidated rotated secret: ${old.status}`);
    const t = await token(REALM, CLIENT, secret);
    check(t.status === 200, `token with the current secret after invalidating the rotated one: ${t.status}`);
    out.previous_secret_after_invalidate = old.status;
  });

  await step('clients.getInstallationProviders keycloak-oidc-keycloak-json', async () => {
    const inst = await kc.clients.getInstallationProviders({ realm: REALM, id, providerId: 'keycloak-oidc-keycloak-json' });
    check(inst?.resource === CLIENT && inst.realm === REALM, `installation ${JSON.stringify(inst)}`);
    check(typeof inst['auth-server-url'] === 'string', `no auth-server-url: ${JSON.stringify(inst)}`);
    out.installation = inst;
  });

  await step('clients.update → client-jwt (the representation read back, changed, sent)', async () => {
    const fresh = await kc.clients.findOne({ realm: REALM, id });
    const changed = {
      ...fresh,
      clientAuthenticatorType: 'client-jwt',
      attributes: { ...(fresh.attributes ?? {}), 'token.endpoint.auth.signing.alg': 'RS256' },
    };
    const r = await kc.clients.update({ realm: REALM, id }, changed);
    out.update_result = r;
    const after = await kc.clients.findOne({ realm: REALM, id });
    check(after.clientAuthenticatorType === 'client-jwt', `after update: ${after.clientAuthenticatorType}`);
    out.after_update = {
      clientAuthenticatorType: after.clientAuthenticatorType,
      alg: after.attributes?.['token.endpoint.auth.signing.alg'] ?? null,
    };
  });

  // Keys: each of generate, generate-and-download and upload-certificate sets the client's one
  // jwt.credential certificate in Keycloak (getKeyInfo shows it; the previous key no longer
  // authenticates the client).
  await step('clients.generateKey jwt.credential', async () => {
    const c = await kc.clients.generateKey({ realm: REALM, id, attr: ATTR });
    check(typeof c?.certificate === 'string' && c.certificate.length > 100, `generateKey ${JSON.stringify(c)}`);
    out.generated_certificate_len = c.certificate.length;
    out.generated_private_key = 'privateKey' in c;
    const info = await kc.clients.getKeyInfo({ realm: REALM, id, attr: ATTR });
    check(info?.certificate === c.certificate, `getKeyInfo after generateKey: ${JSON.stringify(info)}`);
  });

  let keystoreKey;
  await step('clients.generateAndDownloadKey (PKCS12), its key at the token endpoint', async () => {
    const buf = await kc.clients.generateAndDownloadKey(
      { realm: REALM, id, attr: ATTR },
      { format: 'PKCS12', keyAlias: CLIENT, keyPassword: STORE_PASSWORD, storePassword: STORE_PASSWORD, keySize: 2048, validity: 1 },
    );
    check(buf instanceof ArrayBuffer, `not binary: ${typeof buf}`);
    const bytes = Buffer.from(buf);
    check(bytes[0] === 0x30 && bytes.length > 1000, `not a PKCS12 (DER SEQUENCE): ${bytes.subarray(0, 8).toString('hex')} (${bytes.length} bytes)`);
    out.keystore_b64 = bytes.toString('base64');
    keystoreKey = privateKeyOf(bytes);
    const c = await kc.clients.getKeyInfo({ realm: REALM, id, attr: ATTR });
    check(c?.certificate === certificateOf(bytes), `getKeyInfo after generateAndDownloadKey is not the keystore's certificate: ${JSON.stringify(c)}`);
    out.keystore_certificate = c.certificate;
    // As Keycloak's adapter (keycloak-client-common-synced) signs: RS256, kid = base64url
    // SHA-256 of the public key's SPKI.
    const withKid = await jwtToken(REALM, CLIENT, keystoreKey, true);
    check(withKid.status === 200, `private_key_jwt with the keystore's key: ${withKid.status} ${JSON.stringify(withKid.body)}`);
    out.keystore_token_status = withKid.status;
    out.keystore_token_without_kid = (await jwtToken(REALM, CLIENT, keystoreKey, false)).status;
  });

  const upload = () => {
    const form = new FormData();
    form.append('keystoreFormat', 'Certificate PEM');
    form.append('file', new Blob([certPem], { type: 'application/x-pem-file' }), 'cert.pem');
    return kc.clients.uploadCertificate({ realm: REALM, id, attr: ATTR }, form);
  };
  await step('clients.uploadCertificate (Certificate PEM)', async () => {
    const c = await upload();
    check(c?.certificate === certB64, `uploadCertificate returned another certificate than the uploaded one: ${JSON.stringify(c)}`);
    out.uploaded_certificate = c.certificate;
  });
  await step('clients.uploadCertificate the same certificate again → 200', async () => {
    const c = await upload();
    check(c?.certificate === certB64, `the second uploadCertificate returned another certificate than the uploaded one: ${JSON.stringify(c)}`);
    out.uploaded_twice = true;
  });

  await step('clients.getKeyInfo', async () => {
    const c = await kc.clients.getKeyInfo({ realm: REALM, id, attr: ATTR });
    check(c?.certificate === certB64, `getKeyInfo after the upload is not the uploaded certificate: ${JSON.stringify(c)}`);
    out.key_info_is_uploaded = true;
    // Keycloak: the uploaded certificate replaced the keystore's; its key is refused now.
    out.replaced_key_token_status = (await jwtToken(REALM, CLIENT, keystoreKey, true)).status;
  });

  await step('realms.findAdminEvents', async () => {
    const events = await kc.realms.findAdminEvents({ realm: REALM, max: 100 });
    check(Array.isArray(events) && events.length > 0, `events ${JSON.stringify(events)}`);
    const created = events.filter((e) => e.operationType === 'CREATE');
    check(created.length > 0, `no CREATE event: ${JSON.stringify(events.map((e) => e.operationType))}`);
    out.events = events.length;
    out.event_operations = [...new Set(events.map((e) => e.operationType))].sort();
    out.event_fields = Object.keys(events[0]).sort();
    const only = await kc.realms.findAdminEvents({ realm: REALM, operationTypes: 'CREATE', first: 0, max: 100 });
    check(only.length > 0 && only.every((e) => e.operationType === 'CREATE'), `operationTypes=CREATE: ${JSON.stringify(only.map((e) => e.operationType))}`);
    // Several operation types: the library sends an array as repeated parameters
    // (operationTypes=CREATE&operationTypes=DELETE), Keycloak's List<String> query parameter.
    const several = await kc.realms.findAdminEvents({ realm: REALM, operationTypes: ['CREATE', 'DELETE'], max: 100 });
    check(several.some((e) => e.operationType === 'CREATE') && several.some((e) => e.operationType === 'DELETE')
      && several.every((e) => ['CREATE', 'DELETE'].includes(e.operationType)),
      `operationTypes=[CREATE, DELETE]: ${JSON.stringify(several.map((e) => e.operationType))}`);
    out.events_several_types = several.length;
  });

  // Careless-script inputs and Keycloak's not-found answers.
  await step('clients.findOne of an unknown id → null (404)', async () => {
    const none = await kc.clients.findOne({ realm: REALM, id: 'nope' });
    check(none === null, `findOne(nope) ${JSON.stringify(none)}`);
    const e = await httpError(() => kc.clients.getKeyInfo({ realm: REALM, id: 'nope', attr: ATTR }));
    check(e.status === 404 && isJsonError(e), `getKeyInfo(nope): ${e.status} ${e.contentType} ${JSON.stringify(e.body)}`);
    out.unknown_client = e.status;
    out.unknown_client_body = e.body;
    out.unknown_client_message = e.message;
  });

  await step('a client id from another realm → null (404)', async () => {
    const none = await kc.clients.findOne({ realm: 'master', id });
    check(none === null, `findOne in master of a ${REALM} client: ${JSON.stringify(none)}`);
  });

  await step('an unknown realm → 404 JSON', async () => {
    const none = await kc.realms.findOne({ realm: 'no-such-realm' });
    check(none === null, `realms.findOne(no-such-realm) ${JSON.stringify(none)}`);
    const e = await httpError(() => kc.clients.find({ realm: 'no-such-realm' }));
    check(e.status === 404 && isJsonError(e), `clients.find in an unknown realm: ${e.status} ${e.contentType} ${JSON.stringify(e.body)}`);
    out.unknown_realm = e.status;
    out.unknown_realm_body = e.body;
    out.unknown_realm_message = e.message;
  });

  await step('clients.del', async () => {
    await kc.clients.del({ realm: REALM, id });
    const none = await kc.clients.findOne({ realm: REALM, id });
    check(none === null, `after delete: ${JSON.stringify(none)}`);
    const t = await token(REALM, CLIENT, secret);
    check(t.status === 401, `token after delete: ${t.status}`);
    out.after_delete = 404;
  });

  await step('realms.del', async () => {
    await kc.realms.del({ realm: REALM });
    const none = await kc.realms.findOne({ realm: REALM });
    check(none === null, `after realm delete: ${JSON.stringify(none)}`);
    out.realm_after_delete = 404;
  });
}

try {
  await main();
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(`FAILED at step "${current}": ${describe(e)}`);
  console.log(JSON.stringify({ ...out, failed_step: current, error: describe(e) }));
  process.exit(1);
}
