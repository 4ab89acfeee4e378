// A new customer's whole journey on a desktop: sign up → movie → showtime → 2 seats → hold →
// declined card → good card → tickets → My bookings → cancel → refunded. axe on every page,
// the security headers, where the tokens live, the first load's size and the map's render time.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startShop, launch, openPage, axe, shot, signUp, seatPair, seat, chooseTwoSeats, payWith, bigShowtime,
  assertNoProblems, target,
} from './support.js';

let shop;
let browser;
before(async () => { shop = await startShop(); browser = await launch(); });
after(async () => { await browser?.close(); await shop?.stop(); });

async function accessible(page, name) {
  assert.deepEqual(await axe(page), [], `axe on ${name}`);
}

test('a new customer finds a showtime, pays after a decline, gets tickets and cancels for a refund', async () => {
  const page = await openPage(browser, shop.url);
  const response = await page.goto(`${shop.url}/`);
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /script-src 'self';/);
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.doesNotMatch(headers['content-security-policy'], /unsafe-inline|unsafe-eval/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'same-origin');

  await page.getByRole('heading', { name: 'Now showing' }).waitFor();
  await page.locator('.movie-card').first().waitFor();
  await page.waitForLoadState('networkidle');
  const firstLoad = await page.evaluate(() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return entries.reduce((t, e) => t + e.transferSize, 0);
  });
  assert.ok(firstLoad > 0 && firstLoad <= 150 * 1024, `first load ${firstLoad} B`);
  await accessible(page, 'home');
  await shot(page, '01-home');
  // The demo's movies have no poster files: each card draws one from its title.
  const cards = await page.locator('.movie-card').count();
  assert.equal(await page.locator('.movie-card svg.poster[role="img"][aria-label^="Poster of "]').count(), cards);

  // Filters: one cinema, then the next day; every time shown is that cinema's, on that day.
  await page.getByLabel('Cinema').selectOption({ label: 'Paramount Riverside' });
  await page.waitForFunction(() => document.querySelector('.days a')?.getAttribute('href').includes('cinema='));
  const days = page.getByRole('navigation', { name: 'Day' }).getByRole('link');
  assert.equal(await days.count(), 7, 'today and the next six days');
  await days.nth(1).click();
  await page.waitForFunction(() => document.querySelectorAll('.days a')[1].getAttribute('aria-current') === 'page');
  await page.locator('.movie-card').first().waitFor();
  const labels = await page.$$eval('a.time small', (els) => els.map((e) => e.textContent));
  assert.ok(labels.length > 0 && labels.every((l) => /Screen/.test(l) && !/Saal|Salon/.test(l)), labels.join('|'));
  await page.goto(`${shop.url}/`);
  await page.locator('.movie-card').first().waitFor();

  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await accessible(page, 'sign up');
  await signUp(page, shop.url);
  await accessible(page, 'signed in');

  const showtime = await bigShowtime(shop.url);
  await page.goto(`${shop.url}/#/movie/${showtime.movie.id}`);
  await page.getByRole('heading', { name: showtime.movie.title, level: 1 }).waitFor();
  await accessible(page, 'movie');
  await shot(page, '02-movie');
  await page.locator(`a[href="#/showtime/${showtime.id}"]`).click();

  const [a, b] = await seatPair(page);
  const renderMs = await page.evaluate(() => performance.getEntriesByName('seatmap-render')[0].duration);
  assert.ok(renderMs <= 50, `seat map rendered in ${renderMs} ms`);
  await accessible(page, 'seat map');
  assert.match(await seat(page, a).getAttribute('aria-label'), new RegExp(`^${a}, (standard|premium|accessible), .+, available$`));
  await seat(page, a).click();
  await seat(page, b).click();
  assert.equal(await seat(page, a).getAttribute('aria-pressed'), 'true');
  await page.locator('#selection-summary').filter({ hasText: 'total' }).waitFor();
  assert.match(await page.locator('#selection-summary').textContent(), new RegExp(`2 seats: ${a}, ${b} — total`));
  await shot(page, '03-seats');
  await page.getByRole('button', { name: 'Hold 2 seats' }).click();

  await page.getByRole('timer').waitFor();
  assert.match(await page.locator('#booking-status').textContent(), /held/);
  await accessible(page, 'checkout');
  await shot(page, '04-checkout');

  // Checked in the browser, before anything is sent.
  await payWith(page, '4242 4242 4242 4241');
  await page.locator('#number-error').filter({ hasText: 'not valid' }).waitFor();

  await payWith(page, '4000 0000 0000 0002');
  await page.locator('.notice.error').filter({ hasText: 'declined' }).waitFor();
  assert.match(await page.locator('#booking-status').textContent(), /held/);
  await accessible(page, 'declined');
  await shot(page, '05-declined');

  await payWith(page, '4242 4242 4242 4242');
  await page.getByRole('heading', { name: 'Your tickets' }).waitFor();
  const qr = page.getByRole('img', { name: /^QR code of ticket/ });
  assert.equal(await qr.count(), 2);
  for (const img of await qr.all()) {
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'QR code image decoded');
  }
  assert.match(await page.locator('.tickets').textContent(), new RegExp(`Seat ${a}.*Seat ${b}`, 's'));
  await accessible(page, 'tickets');
  await shot(page, '06-tickets');

  // The refresh token is an HttpOnly cookie scoped to the session endpoints, nothing in storage.
  const refresh = (await page.context().cookies()).find((c) => c.name === 'bo_refresh');
  assert.ok(refresh, 'refresh cookie set');
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, 'Strict');
  assert.equal(refresh.path, '/api/v1/auth/session');

  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await page.getByRole('heading', { name: 'Upcoming' }).waitFor();
  await accessible(page, 'my bookings');
  await shot(page, '07-my-bookings');
  await page.locator('.booking-item a').filter({ hasText: 'Paid' }).first().click();
  await page.getByRole('heading', { name: 'Your tickets' }).waitFor();

  await page.getByRole('button', { name: /^Cancel and refund/ }).click();
  await page.locator('#booking-status').filter({ hasText: 'Refunded' }).waitFor();
  await accessible(page, 'refunded');
  await shot(page, '08-refunded');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Now showing' }).waitFor();
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await accessible(page, 'sign in');

  // Signing out cleared the cookie.
  assert.equal((await page.context().cookies()).some((c) => c.name === 'bo_refresh'), false);
  const storage = await page.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
  }));
  assert.deepEqual(storage, { local: 0, session: 0, cookie: '' });
  assertNoProblems(assert, page);
  writeFileSync(join(target, 'web-metrics-journey.json'), JSON.stringify({ firstLoadBytes: firstLoad, seatMapRenderMs: renderMs }, null, 2));
  console.log(`first load ${firstLoad} B, seat map render ${renderMs.toFixed(1)} ms`);
});

test('seats chosen before signing in are still chosen after signing up', async () => {
  const page = await openPage(browser, shop.url);
  const showtime = await bigShowtime(shop.url);
  const [a, b] = await chooseTwoSeats(page, shop.url, showtime.id);
  await page.getByRole('button', { name: 'Hold 2 seats' }).click();
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Your name').fill('Late Lou');
  await page.getByLabel('Email').fill(`lou-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Hold 2 seats' }).waitFor();
  assert.equal(await seat(page, a).getAttribute('aria-pressed'), 'true');
  assert.equal(await seat(page, b).getAttribute('aria-pressed'), 'true');
  await page.getByRole('button', { name: 'Hold 2 seats' }).click();
  await page.getByRole('timer').waitFor();
  assertNoProblems(assert, page);
});
