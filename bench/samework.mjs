// The "same work" rule of bench/attack.sh (issue 17 §4): a wrong secret (client_secret_basic)
// for a KNOWN client id must take as long as one for an UNKNOWN client id. Sends N requests of
// each kind, one at a time, interleaved (the kinds' order rotates every round):
// - `known`: the basic client's id with a wrong secret;
// - `unknown_same`: one unknown id, always the same (after the first request the server knows
//   it is absent);
// - `unknown_fresh`: a new unknown id every request.
// Every request comes from its own source address in 127.0.0.0/8 (127.<11..13>.x.y), so no
// (address, client) pair gets past its free failures: each answer is the 401 path, never the
// throttle's 429. Each request opens its own connection; the time is from the request's first
// byte written on the connected socket to its answer's last byte (client side, loopback).
// RATE > 0 paces the requests (all kinds together) to RATE per second: the server writes at
// most 50 failure events per second, so at 40/s every failure is written as an event, while
// back to back (RATE=0) most are counted without one — both kinds alike.
// COLD > 0 measures instead COLD rounds of cache misses: every 5.5 s (past the server's 5 s cache
// life), one wrong secret for the known client (`known_cold`: read from the database again) and
// one for a new unknown id (`unknown_fresh`), in alternating order.
// Prints one JSON line: per kind, the statuses, p50, p99 and mean in µs.
// Env: SETUP, N (per kind, default 2000), RATE (default 0), COLD (default 0).
import fs from 'node:fs';
import net from 'node:net';
import crypto from 'node:crypto';

const setup = JSON.parse(fs.readFileSync(process.env.SETUP, 'utf8'));
const N = Number(process.env.N || 2000);
const RATE = Number(process.env.RATE || 0);
const COLD = Number(process.env.COLD || 0);
const url = new URL(setup.token_endpoint);
const body = 'grant_type=client_credentials';
const kinds = ['known', 'unknown_same', 'unknown_fresh'];
const clientId = { known: () => setup.basic_client, unknown_same: () => 'cc-nobody', unknown_fresh: () => `cc-nobody-${crypto.randomUUID()}` };

function once(localAddress, clientIdValue) {
  const auth = Buffer.from(`${clientIdValue}:wrong-${crypto.randomBytes(12).toString('hex')}`).toString('base64');
  const req = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Basic ${auth}\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: url.hostname, port: Number(url.port), localAddress });
    let t0; let buf = Buffer.alloc(0);
    sock.setNoDelay(true);
    sock.on('connect', () => { t0 = process.hrtime.bigint(); sock.write(req); });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const h = buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const head = buf.subarray(0, h).toString();
      const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < h + 4 + len) return;
      const us = Number(process.hrtime.bigint() - t0) / 1e3;
      sock.destroy();
      resolve({ status: Number(head.split(' ')[1]), us });
    });
    sock.on('error', reject);
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const summary = (xs, codes) => {
  xs.sort((a, b) => a - b);
  return { codes, p50_us: Math.round(pct(xs, 50)), p99_us: Math.round(pct(xs, 99)),
    mean_us: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) };
};
const addr = (k, i) => `127.${k}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (COLD > 0) {
  // Cache misses on both sides: the server keeps a client (and an absent id) at most 5 s, so
  // after 5.5 s without a request the known client is read from the database again, as a new
  // unknown id always is. A first request, not timed, reads the realm again for both.
  const out = { known_cold: { codes: {}, us: [] }, unknown_fresh: { codes: {}, us: [] } };
  for (let i = 0; i < COLD; i++) {
    await sleep(5500);
    await once(addr(15, i), `cc-nobody-${crypto.randomUUID()}`);
    const order = i % 2 ? ['unknown_fresh', 'known_cold'] : ['known_cold', 'unknown_fresh'];
    for (const k of order) {
      const { status, us } = await once(addr(k === 'known_cold' ? 16 : 17, i), k === 'known_cold' ? setup.basic_client : `cc-nobody-${crypto.randomUUID()}`);
      out[k].codes[status] = (out[k].codes[status] || 0) + 1;
      out[k].us.push(us);
    }
  }
  console.log(JSON.stringify({ step: 'same_work_cold', rounds: COLD,
    known_cold: summary(out.known_cold.us, out.known_cold.codes),
    unknown_fresh: summary(out.unknown_fresh.us, out.unknown_fresh.codes) }));
  process.exit(0);
}

const out = Object.fromEntries(kinds.map((k) => [k, { codes: {}, us: [] }]));
// Warm-up: a few of each kind from addresses of their own (127.14.x.y).
for (let i = 0; i < 20; i++) await once(addr(14, i), clientId[kinds[i % 3]]());
const start = Date.now();
let n = 0;
for (let i = 0; i < N; i++) {
  for (let j = 0; j < kinds.length; j++) {
    const k = kinds[(i + j) % kinds.length];
    if (RATE > 0) {
      const due = start + (n * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    n++;
    const { status, us } = await once(addr(11 + kinds.indexOf(k), i), clientId[k]());
    out[k].codes[status] = (out[k].codes[status] || 0) + 1;
    out[k].us.push(us);
  }
}
const res = { step: 'same_work', n_per_kind: N, rate: RATE || 'back to back' };
for (const k of kinds) res[k] = summary(out[k].us, out[k].codes);
console.log(JSON.stringify(res));
