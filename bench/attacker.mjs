// The attacker of bench/attack.sh: a FIXED rate of requests (RATE per second in total, default
// 2,000) from 127.0.0.1 against the bench server's two clients, half of each kind, alternating:
// - `wrong_secret`: client_secret_basic for the basic client with a wrong secret (a new one
//   each time);
// - `replay`: one assertion of the private_key_jwt client, signed here with the key
//   bench/pkjwt.mjs uses, sent once (it must be accepted: a captured, once-valid assertion),
//   then replayed.
// The rate is held by a 5 ms scheduler (every tick sends what the clock says is due; nothing is
// sent faster to catch up beyond that), over keep-alive connections (SOCKETS per kind, default
// 8); more than MAX_INFLIGHT requests waiting for their answer are not sent but counted as
// `dropped` (the attacker stays bounded if the server stalls).
// It counts the answers' statuses in total and within the measured window, which the load
// generator marks with SIGUSR1 (start) and SIGUSR2 (end) (bench/window.mjs). Writes READY (a
// file path) once the capture is done and the rate is running; on SIGTERM stops, waits up to
// 2 s for answers in flight, prints one JSON line and exits.
// Env: SETUP, RATE, SOCKETS, MAX_INFLIGHT, READY.
import * as jose from 'jose';
import fs from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';

const setup = JSON.parse(fs.readFileSync(process.env.SETUP, 'utf8'));
const RATE = Number(process.env.RATE || 2000);
const SOCKETS = Number(process.env.SOCKETS || 8);
const MAX_INFLIGHT = Number(process.env.MAX_INFLIGHT || 2000);
const url = new URL(setup.token_endpoint);
const FORM = 'application/x-www-form-urlencoded';

function post(agent, headers, body) {
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      localAddress: '127.0.0.1',
      headers: { 'content-type': FORM, 'content-length': Buffer.byteLength(body), ...headers },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', () => resolve('error'));
    req.end(body);
  });
}

// Capture: one valid assertion, used once.
const key = await jose.importJWK(setup.jwk, 'ES256');
const now = Math.floor(Date.now() / 1000);
const captured = await new jose.SignJWT({ jti: crypto.randomUUID() })
  .setProtectedHeader({ alg: 'ES256', kid: setup.jwk.kid })
  .setIssuer(setup.pkjwt_client).setSubject(setup.pkjwt_client).setAudience(setup.issuer)
  .setIssuedAt(now).setExpirationTime(now + 240).sign(key);
const replayBody = `grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${captured}`;
const captureStatus = await post(undefined, {}, replayBody);
if (captureStatus !== 200) {
  console.error(`attacker: the captured assertion's first use answered ${captureStatus}, not 200`);
  process.exit(1);
}

const kinds = {
  wrong_secret: {
    agent: new http.Agent({ keepAlive: true, maxSockets: SOCKETS }),
    send(agent, n) {
      const auth = Buffer.from(`${setup.basic_client}:wrong-${n}-${crypto.randomBytes(8).toString('hex')}`).toString('base64');
      return post(agent, { authorization: `Basic ${auth}` }, 'grant_type=client_credentials');
    },
  },
  replay: {
    agent: new http.Agent({ keepAlive: true, maxSockets: SOCKETS }),
    send(agent) { return post(agent, {}, replayBody); },
  },
};
const names = Object.keys(kinds);
const fresh = () => Object.fromEntries(names.map((k) => [k, { sent: 0, codes: {} }]));
const total = fresh();
let win = null; let winResult = null; let winStart = 0n;
let sent = 0; let dropped = 0; let inflight = 0; let maxInflight = 0;

function send() {
  const name = names[sent % names.length];
  sent++;
  if (inflight >= MAX_INFLIGHT) { dropped++; return; }
  inflight++; maxInflight = Math.max(maxInflight, inflight);
  const counted = [total[name], win?.[name]].filter(Boolean);
  for (const c of counted) c.sent++;
  kinds[name].send(kinds[name].agent, sent).then((status) => {
    inflight--;
    for (const c of counted) c.codes[status] = (c.codes[status] || 0) + 1;
  });
}

const t0 = process.hrtime.bigint();
const timer = setInterval(() => {
  const due = Math.floor((Number(process.hrtime.bigint() - t0) / 1e9) * RATE);
  while (sent < due) send();
}, 5);

process.on('SIGUSR1', () => { win = fresh(); winStart = process.hrtime.bigint(); });
process.on('SIGUSR2', () => {
  const s = Number(process.hrtime.bigint() - winStart) / 1e9;
  const n = names.reduce((a, k) => a + win[k].sent, 0);
  winResult = { window_s: +s.toFixed(2), sent: n, rate: Math.round(n / s), ...win };
  win = null;
});
process.on('SIGTERM', async () => {
  clearInterval(timer);
  const deadline = Date.now() + 2000;
  while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ attacker: { rate_target: RATE, capture_status: captureStatus,
    window: winResult, total: { seconds: +s.toFixed(2), sent: sent - dropped, dropped, max_inflight: maxInflight,
      unanswered: inflight, ...total } } }));
  process.exit(0);
});
if (process.env.READY) fs.writeFileSync(process.env.READY, 'ready\n');
