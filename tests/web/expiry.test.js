// A hold that runs out: the countdown (to the server's holdExpiresAt) announces the last 30
// seconds politely, ends, the page says so, and the same seats can be held again. The same
// shop refunds nothing after its cut-off, and a paid booking's page says why.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startShop, launch, openPage, shot, axe, signUp, chooseTwoSeats, seat, payWith, bigShowtime, assertNoProblems,
} from './support.js';

const HOLD_SECONDS = 34;
let shop;
let browser;
before(async () => {
  shop = await startShop({
    env: {
      BOXOFFICE_BOOKING__HOLD_TTL_SECS: String(HOLD_SECONDS),
      BOXOFFICE_BOOKING__EXPIRY_INTERVAL_MS: '1000',
      // Every demo showtime is inside this cut-off: paid bookings cannot be refunded.
      BOXOFFICE_BOOKING__REFUND_CUTOFF_MINUTES: '100000',
    },
  });
  browser = await launch();
});
after(async () => { await browser?.close(); await shop?.stop(); });

test('the countdown runs to the hold expiry, the page says so, and holding the same seats again works', async () => {
  const page = await openPage(browser, shop.url);
  await signUp(page, shop.url);
  const showtime = await bigShowtime(shop.url);
  const [a, b] = await chooseTwoSeats(page, shop.url, showtime.id);
  await page.getByRole('button', { name: 'Hold 2 seats' }).click();
  const clock = page.getByRole('timer');
  await clock.waitFor();
  const shown = await clock.textContent();
  const [m, s] = shown.split(':').map(Number);
  assert.ok(m * 60 + s <= HOLD_SECONDS && m * 60 + s >= HOLD_SECONDS - 5, `countdown starts near the hold (${shown})`);
  await page.locator('#hold-announcer').filter({ hasText: '30 seconds left' }).waitFor({ timeout: 10_000 });

  await page.getByRole('button', { name: 'Hold the same seats again' }).waitFor({ timeout: (HOLD_SECONDS + 5) * 1000 });
  await page.locator('.notice').filter({ hasText: 'has run out' }).waitFor();
  assert.match(await page.locator('#booking-status').textContent(), /ran out/);
  assert.deepEqual(await axe(page), [], 'axe on the expired hold');
  await shot(page, '20-hold-expired');

  const firstBooking = page.url();
  await page.getByRole('button', { name: 'Hold the same seats again' }).click();
  await page.waitForURL((u) => u.toString() !== firstBooking);
  await page.getByRole('timer').waitFor();
  assert.match(await page.locator('caption').textContent(), new RegExp(`${a}, ${b}`));

  await payWith(page, '4242424242424242');
  await page.getByRole('heading', { name: 'Your tickets' }).waitFor();
  const policy = await page.locator('#refund-policy').textContent();
  assert.match(policy, /can no longer be cancelled: refunds end 100000 minutes before the show/);
  assert.equal(await page.getByRole('button', { name: /^Cancel and refund/ }).count(), 0);
  await shot(page, '21-past-cutoff');
  assertNoProblems(assert, page);
});
