// A lost connection: the page says "reconnecting…", and when the box office is back the seat
// map catches up with what changed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startShop, launch, openPage, shot, freeSeats, seat, bigShowtime, apiCustomer, freePort, liveReady,
} from './support.js';

let shop;
let browser;
let port;
before(async () => { port = await freePort(); shop = await startShop({ gatewayPort: port }); browser = await launch(); });
after(async () => { await browser?.close(); await shop?.stop(); });

test('the seat map says it is reconnecting while the server is away and resynchronises when it is back', async () => {
  const showtime = await bigShowtime(shop.url);
  const page = await openPage(browser, shop.url);
  await page.goto(`${shop.url}/#/showtime/${showtime.id}`);
  const free = await freeSeats(page);
  await liveReady(page);

  await shop.stop({ keep: true });
  const banner = page.locator('#connection');
  await banner.filter({ hasText: 'reconnecting' }).waitFor({ timeout: 5000 });
  assert.equal(await banner.isVisible(), true);
  await shot(page, '50-reconnecting');

  shop = await startShop({ dataDir: shop.dir, gatewayPort: port });
  // Changed before the page is back on the air: only a resynchronisation can show it.
  const rival = await apiCustomer(shop.url);
  await rival.gql('mutation($i: CreateBookingInput!) { createBooking(input: $i) { id } }',
    { i: { showtimeId: showtime.id, seatIds: [free[0]] } });
  await page.waitForFunction((id) => document.querySelector(`[data-seat="${id}"]`).disabled, free[0], { timeout: 15_000 });
  await banner.waitFor({ state: 'hidden', timeout: 15_000 });
  assert.match(await seat(page, free[0]).getAttribute('aria-label'), /, held$/);
  // The subscription works again, too.
  await rival.gql('mutation($i: CreateBookingInput!) { createBooking(input: $i) { id } }',
    { i: { showtimeId: showtime.id, seatIds: [free[1]] } });
  await page.waitForFunction((id) => document.querySelector(`[data-seat="${id}"]`).disabled, free[1], { timeout: 3000 });
});
