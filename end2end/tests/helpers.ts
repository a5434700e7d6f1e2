// What every spec shares: the bootstrap admin, the hydration probe and sign-in.
import { expect, Page } from '@playwright/test';

export const ADMIN = { user: 'admin', password: 'admin-password-e2e' };

/** Waits until the wasm has hydrated the page (the console marks <body> once it has). */
export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
}

/** Signs in through the form (a hydrated page) and lands on the clients of the realm this
 * browser last worked in (master the first time). */
export async function signIn(page: Page, user = ADMIN.user, password = ADMIN.password) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/console\/[^/]+\/clients$/);
  await hydrated(page);
  await expect(page.getByTestId('whoami')).toContainText(user);
}
