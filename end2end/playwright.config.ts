import { defineConfig } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Keyward, built by `cargo leptos build --release`, on a fresh SQLite database per run.
const port = Number(process.env.KEYWARD_E2E_PORT ?? 3917);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-e2e-'));
const root = path.resolve(__dirname, '..');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    command: path.join(root, 'target/release/keyward-server'),
    url: `http://127.0.0.1:${port}/health/ready`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    env: {
      KEYWARD_BIND: `127.0.0.1:${port}`,
      KEYWARD_DATA_DIR: dataDir,
      KEYWARD_METRICS_BIND: 'off',
      KEYWARD_SITE_ROOT: path.join(root, 'target/site'),
      KEYWARD_BOOTSTRAP_ADMIN_USERNAME: 'admin',
      KEYWARD_BOOTSTRAP_ADMIN_PASSWORD: 'admin-password-e2e',
      RUST_LOG: 'warn',
    },
  },
});
