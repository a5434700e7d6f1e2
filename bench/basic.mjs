// client_secret_basic client_credentials load against Keyward, with the options bench/token.sh
// gives the autocannon command line (POST, the Basic header, the form body), through autocannon's
// API so the window (server CPU, attacker counts: bench/window.mjs) is exactly the load's.
// Env: SETUP (the bench server's setup.json), DURATION, CONN, SERVER_PID, ATTACKER_PID, CLK_TCK.
import autocannon from 'autocannon';
import fs from 'node:fs';
import { window } from './window.mjs';
const setup = JSON.parse(fs.readFileSync(process.env.SETUP, 'utf8'));
const DURATION = Number(process.env.DURATION || 20);
const CONN = Number(process.env.CONN || 32);
// SECRET: another secret to present (bench/lastuse.sh's floods of wrong ones); MODE: its label.
const secret = process.env.SECRET || setup.basic_secret;
const basic = Buffer.from(`${setup.basic_client}:${secret}`).toString('base64');
const win = window();
win.begin();
autocannon({
  url: setup.token_endpoint, connections: CONN, duration: DURATION, method: 'POST',
  headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
}, (err, res) => {
  const w = win.end();
  if (err) { console.error(err); process.exit(1); }
  const codes = Object.fromEntries(Object.entries(res.statusCodeStats || {}).map(([k, v]) => [k, v.count]));
  console.log(JSON.stringify({ mode: process.env.MODE || 'client_secret_basic', rps: res.requests.average,
    p50: res.latency.p50, p99: res.latency.p99, ok: res['2xx'], non2xx: res.non2xx, errors: res.errors,
    timeouts: res.timeouts, codes, ...w }));
});
