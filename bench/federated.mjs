// federated-jwt client_credentials load against Keyward (issue 21), shaped like pkjwt.mjs:
// MODE=oidc pre-signs N tokens of the bench's OIDC issuer (unique jti, ES256), each sent once,
// as a CI job's token would be; MODE=kubernetes signs one projected-service-account-shaped
// token and sends it on every request (the provider allows reuse until exp).
// Env: SETUP (the bench server's setup.json), MODE, DURATION, CONN, N.
import autocannon from 'autocannon';
import * as jose from 'jose';
import fs from 'node:fs';
import crypto from 'node:crypto';
const setup = JSON.parse(fs.readFileSync(process.env.SETUP, 'utf8'));
const MODE = process.env.MODE || 'oidc';
const DURATION = Number(process.env.DURATION || 20);
const CONN = Number(process.env.CONN || 32);
const N = MODE === 'oidc' ? Number(process.env.N || 60000) : 1;
const key = await jose.importJWK(setup.fed_jwk, 'ES256');
const now = Math.floor(Date.now() / 1000);
const issuer = MODE === 'oidc' ? setup.fed_oidc_issuer : setup.fed_k8s_issuer;
const sub = MODE === 'oidc' ? setup.fed_oidc_subject : setup.fed_k8s_subject;
const bodies = [];
for (let i = 0; i < N; i++) {
  const jwt = await new jose.SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: setup.fed_jwk.kid })
    .setIssuer(issuer).setSubject(sub).setAudience(setup.issuer)
    .setIssuedAt(now).setExpirationTime(now + 600).sign(key);
  bodies.push(`grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${jwt}`);
}
let i = 0;
autocannon({
  url: setup.token_endpoint, connections: CONN, duration: DURATION, method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  requests: [{ setupRequest: (req) => { req.body = bodies[i++ % N]; return req; } }],
}, (err, res) => {
  if (err) { console.error(err); process.exit(1); }
  console.log(JSON.stringify({ mode: MODE === 'oidc' ? 'federated_jwt (oidc, jti once)' : 'federated_jwt (kubernetes, reused)',
    used: i, rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99,
    ok: res['2xx'], non2xx: res.non2xx, errors: res.errors }));
});
