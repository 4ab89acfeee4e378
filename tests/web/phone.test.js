// The journey on a 360×640 phone: the page never scrolls sideways; the seat map fits, and pans
// inside its own box when zoomed in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startShop, launch, openPage, shot, axe, signUp, seatPair, seat, payWith, bigShowtime, assertNoProblems,
} from './support.js';

let shop;
let browser;
before(async () => { shop = await startShop(); browser = await launch(); });
after(async () => { await browser?.close(); await shop?.stop(); });

async function noSidewaysScroll(page, where) {
  const { scroll, view } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= view, `${where}: page is ${scroll}px wide in a ${view}px viewport`);
}

test('the whole journey works on a 360×640 phone', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await openPage(browser, shop.url, { context });
  await page.goto(`${shop.url}/`);
  await page.locator('.movie-card').first().waitFor();
  await noSidewaysScroll(page, 'home');
  await shot(page, '40-phone-home');

  await signUp(page, shop.url, 'Phone Pat');
  await noSidewaysScroll(page, 'signed in');
  const showtime = await bigShowtime(shop.url);
  await page.goto(`${shop.url}/#/movie/${showtime.movie.id}`);
  await page.locator('.cinema-times').first().waitFor();
  await noSidewaysScroll(page, 'movie');

  await page.goto(`${shop.url}/#/showtime/${showtime.id}`);
  const [a, b] = await seatPair(page);
  await noSidewaysScroll(page, 'seat map');
  const fits = await page.$eval('.seatmap-scroll', (el) => el.scrollWidth <= el.clientWidth + 1);
  assert.ok(fits, 'the largest map fits the phone before zooming');
  assert.deepEqual(await axe(page), [], 'axe on the phone seat map');
  await shot(page, '41-phone-seatmap');
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  const pans = await page.$eval('.seatmap-scroll', (el) => el.scrollWidth > el.clientWidth);
  assert.ok(pans, 'zoomed in, the map pans inside its box');
  await noSidewaysScroll(page, 'zoomed seat map');
  await seat(page, a).tap();
  await seat(page, b).tap();
  await seat(page, b).scrollIntoViewIfNeeded();
  await shot(page, '41-phone-seats-chosen', { fullPage: false });
  await page.getByRole('button', { name: 'Hold 2 seats' }).tap();
  await page.getByRole('timer').waitFor();
  await noSidewaysScroll(page, 'checkout');
  await shot(page, '42-phone-checkout');
  await payWith(page, '4242424242424242');
  await page.getByRole('heading', { name: 'Your tickets' }).waitFor();
  await noSidewaysScroll(page, 'tickets');
  await shot(page, '43-phone-tickets');
  assertNoProblems(assert, page);
  await context.close();
});
