// Reloading mid-checkout keeps the session and the hold; a second tab is signed in too, and
// signing out in one tab signs the other out. The countdown announces the last two minutes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startShop, launch, openPage, signUp, chooseTwoSeats, payWith, bigShowtime, assertNoProblems,
} from './support.js';

let shop;
let browser;
// Just over two minutes, so the two-minute announcement comes a few seconds after the hold.
before(async () => {
  shop = await startShop({ env: { BOXOFFICE_BOOKING__HOLD_TTL_SECS: '124' } });
  browser = await launch();
});
after(async () => { await browser?.close(); await shop?.stop(); });

test('a reload in the middle of the checkout keeps the session and the hold, and the booking can still be paid', async () => {
  const page = await openPage(browser, shop.url);
  await signUp(page, shop.url, 'Reloading Rita');
  const showtime = await bigShowtime(shop.url);
  const [a, b] = await chooseTwoSeats(page, shop.url, showtime.id);
  await page.getByRole('button', { name: 'Hold 2 seats' }).click();
  await page.getByRole('timer').waitFor();
  const before = await page.locator('.countdown').textContent();
  await page.locator('#hold-announcer[aria-live="polite"]').filter({ hasText: 'Two minutes left' }).waitFor({ timeout: 10_000 });

  await page.reload();
  await page.getByRole('timer').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.match(await page.locator('#account-nav').textContent(), /Reloading Rita/);
  assert.equal((await page.locator('.countdown').textContent()).split('(until')[1], before.split('(until')[1], 'same hold expiry');

  const second = await page.context().newPage();
  await second.goto(page.url());
  await second.getByRole('timer').waitFor();
  await second.getByRole('button', { name: 'Sign out' }).waitFor();

  await page.reload();
  await page.getByRole('timer').waitFor();
  await payWith(page, '4242424242424242');
  await page.getByRole('heading', { name: 'Your tickets' }).waitFor();

  await second.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('link', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('link', { name: 'Sign in' }).waitFor();
  assertNoProblems(assert, page);
});
