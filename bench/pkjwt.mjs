// private_key_jwt client_credentials load against Keyward, exactly as the peer's bench-pkjwt.mjs:
// pre-signs N assertions (unique jti, ES256), then autocannon sends each once.
// Env: SETUP (the bench server's setup.json), DURATION, CONN, N; for bench/attack.sh also
// SERVER_PID, ATTACKER_PID, CLK_TCK (the measured window: bench/window.mjs).
import autocannon from 'autocannon';
import * as jose from 'jose';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { window } from './window.mjs';
const setup = JSON.parse(fs.readFileSync(process.env.SETUP, 'utf8'));
const DURATION = Number(process.env.DURATION || 20);
const CONN = Number(process.env.CONN || 32);
const N = Number(process.env.N || 60000);
const key = await jose.importJWK(setup.jwk, 'ES256');
const now = Math.floor(Date.now() / 1000);
const bodies = [];
for (let i = 0; i < N; i++) {
  const jwt = await new jose.SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: setup.jwk.kid })
    .setIssuer(setup.pkjwt_client).setSubject(setup.pkjwt_client).setAudience(setup.issuer)
    .setIssuedAt(now).setExpirationTime(now + 240).sign(key);
  bodies.push(`grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${jwt}`);
}
let i = 0;
const win = window();
win.begin();
autocannon({
  url: setup.token_endpoint, connections: CONN, duration: DURATION, method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  requests: [{ setupRequest: (req) => { req.body = bodies[i++ % N]; return req; } }],
}, (err, res) => {
  const w = win.end();
  if (err) { console.error(err); process.exit(1); }
  const codes = Object.fromEntries(Object.entries(res.statusCodeStats || {}).map(([k, v]) => [k, v.count]));
  console.log(JSON.stringify({ mode: 'private_key_jwt', used: i, rps: res.requests.average,
    p50: res.latency.p50, p99: res.latency.p99, ok: res['2xx'], non2xx: res.non2xx, errors: res.errors,
    ...(process.env.SERVER_PID ? { timeouts: res.timeouts, codes } : {}), ...w }));
});
