// Issue 19 §2's budgets for the console, measured in Chromium against the release build:
//  - every page's wasm + JS (gzip, as sent), including the lazy island chunks it loads;
//  - requests on a cold load (≤ 20);
//  - clients list and Keys tab interactive within 1.0 s of navigation on a cold load, with
//    Chromium's network emulation at 40 ms RTT and 20 Mbit/s (median of 5).
// "Interactive" = the islands have hydrated (the wasm marks <body data-hydrated="true">).
//
// Rerun: scripts/build && node end2end/bench/console-load.mjs
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const port = 3931;
const base = `http://127.0.0.1:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-bench-'));
const server = spawn(path.join(root, 'target/release/keyward-server'), [], {
  env: {
    ...process.env,
    KEYWARD_BIND: `127.0.0.1:${port}`,
    KEYWARD_DATA_DIR: dataDir,
    KEYWARD_METRICS_BIND: 'off',
    KEYWARD_SITE_ROOT: path.join(root, 'target/site'),
    KEYWARD_BOOTSTRAP_ADMIN_USERNAME: 'admin',
    KEYWARD_BOOTSTRAP_ADMIN_PASSWORD: 'admin-password-bench',
    RUST_LOG: 'warn',
  },
  stdio: 'ignore',
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ready() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
});
try {
  await ready();
  // A signed-in session, and a client with a secret and a key so the tabs have content.
  const setup = await browser.newContext({ baseURL: base });
  const page = await setup.newPage();
  await page.goto('/login');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('admin-password-bench');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/master\/clients$/);
  await page.getByRole('button', { name: 'Create client' }).click();
  await page.getByRole('dialog', { name: 'Create client' }).getByLabel('Client ID').fill('bench-service');
  await page.getByRole('dialog', { name: 'Create client' }).getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/settings$/);
  const client = new URL(page.url()).pathname.replace(/\/settings$/, '');
  const state = await setup.storageState();
  await setup.close();

  const pages = [
    '/console/master/clients',
    `${client}/settings`,
    `${client}/credentials`,
    `${client}/keys`,
    `${client}/installation`,
    '/console/master/settings',
    '/console/master/client-scopes',
    '/console/master/events',
    '/console/master/expiry',
    '/console/realms',
    '/console/operators',
  ];

  /** One cold load (fresh context: empty cache), optionally throttled. */
  async function load(url, throttle) {
    // gzip, the budget's measure (Keyward would send brotli, smaller, to a browser that asks).
    const ctx = await browser.newContext({
      baseURL: base,
      storageState: state,
      extraHTTPHeaders: { 'Accept-Encoding': 'gzip' },
    });
    const p = await ctx.newPage();
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (throttle) {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 40,
        downloadThroughput: (20 * 1024 * 1024) / 8,
        uploadThroughput: (20 * 1024 * 1024) / 8,
      });
    }
    const sizes = new Map();
    cdp.on('Network.responseReceived', (e) => sizes.set(e.requestId, { url: e.response.url, bytes: 0 }));
    cdp.on('Network.loadingFinished', (e) => {
      const s = sizes.get(e.requestId);
      if (s) s.bytes = e.encodedDataLength;
    });
    const start = Date.now();
    await p.goto(url);
    await p.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
    const interactive = Date.now() - start;
    await p.waitForLoadState('networkidle');
    const all = [...sizes.values()];
    const code = all.filter((s) => /\.(wasm|js)$/.test(new URL(s.url).pathname));
    const result = {
      interactive,
      requests: all.length,
      codeBytes: code.reduce((n, s) => n + s.bytes, 0),
      files: code.map((s) => path.basename(new URL(s.url).pathname)),
    };
    await ctx.close();
    return result;
  }

  console.log('| page | requests (cold) | wasm + JS as sent (gzip) | files |');
  console.log('|---|---:|---:|---|');
  let largest = 0;
  for (const url of pages) {
    const r = await load(url, false);
    largest = Math.max(largest, r.codeBytes);
    const label = url.replace(client, '/console/master/clients/{id}');
    console.log(`| ${label} | ${r.requests} | ${(r.codeBytes / 1024).toFixed(1)} KB | ${r.files.join(', ')} |`);
  }
  console.log(`\nlargest page: ${(largest / 1024).toFixed(1)} KB of wasm + JS\n`);

  console.log('| page (cold, 40 ms RTT, 20 Mbit/s) | interactive, median of 5 | runs (ms) |');
  console.log('|---|---:|---|');
  for (const url of ['/console/master/clients', `${client}/keys`]) {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push((await load(url, true)).interactive);
    const label = url.replace(client, '/console/master/clients/{id}');
    console.log(`| ${label} | ${median(runs)} ms | ${runs.join(', ')} |`);
  }
} finally {
  await browser.close();
  server.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
