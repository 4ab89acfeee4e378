// The journey with the keyboard alone: Tab to move, Enter to follow and press, arrow keys
// inside the seat map, Space to choose a seat.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startShop, launch, openPage, shot, bigShowtime, assertNoProblems } from './support.js';

let shop;
let browser;
before(async () => { shop = await startShop(); browser = await launch(); });
after(async () => { await browser?.close(); await shop?.stop(); });

/** Presses Tab until the focused element matches; fails after `limit` presses. */
async function tabTo(page, description, matches, limit = 150, arg = null) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(matches, arg)) return;
  }
  assert.fail(`Tab never reached ${description}`);
}

const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent);

test('a customer signs up, chooses seats, holds and pays with the keyboard only', async () => {
  const page = await openPage(browser, shop.url);
  const showtime = await bigShowtime(shop.url);
  await page.goto(`${shop.url}/`);
  await page.locator('.movie-card').first().waitFor();

  // The cinema filter: arrow keys change it, and the focus stays on it while the page redraws.
  await tabTo(page, 'the cinema filter', () => document.activeElement.id === 'cinema-filter');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => location.hash.includes('cinema='));
  await page.waitForFunction(() => document.querySelector('.days a')?.getAttribute('href').includes('cinema='));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cinema-filter');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('#cinema-filter').selectedIndex === 2);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cinema-filter');

  await tabTo(page, 'Sign up', () => document.activeElement.textContent === 'Sign up');
  await page.keyboard.press('Enter');
  await page.getByLabel('Your name').waitFor();
  await tabTo(page, 'the name field', () => document.activeElement.name === 'name');
  await page.keyboard.type('Keyboard Kim');
  await page.keyboard.press('Tab');
  await page.keyboard.type(`kim-${Date.now()}@example.com`);
  await page.keyboard.press('Tab');
  await page.keyboard.type('correct horse battery staple');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // The showtime's movie, then its time, reached by Tab from the programme.
  await page.goto(`${shop.url}/#/movie/${showtime.movie.id}`);
  await page.locator('.cinema-times').first().waitFor();
  await tabTo(page, 'the showtime', (id) => document.activeElement.getAttribute('href') === `#/showtime/${id}`, 300, showtime.id);
  await page.keyboard.press('Enter');
  await page.locator('button.seat').first().waitFor();

  await tabTo(page, 'the seat map', () => document.activeElement.classList.contains('seat'));
  const start = await focused(page);
  assert.match(start, /^[A-Z]+-\d+, .*, available$/);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  const first = await focused(page);
  assert.notEqual(first, start, 'arrow keys move between seats');
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowRight');
  const second = await focused(page);
  await page.keyboard.press('Enter');
  const pressed = await page.$$eval('button.seat[aria-pressed="true"]', (els) => els.map((e) => e.dataset.seat));
  assert.equal(pressed.length, 2, `two seats chosen (${first}; ${second})`);
  assert.ok(first.startsWith(pressed[0]) || first.startsWith(pressed[1]));

  // One Tab leaves the map (a single tab stop), then the hold button.
  await tabTo(page, 'the hold button', () => document.activeElement.textContent === 'Hold 2 seats', 5);
  await page.keyboard.press('Enter');
  await page.getByRole('timer').waitFor();

  await tabTo(page, 'the card number', () => document.activeElement.name === 'cardnumber');
  await page.keyboard.type('4242 4242 4242 4242');
  await page.keyboard.press('Tab');
  await page.keyboard.type('12/39');
  await page.keyboard.press('Tab');
  await page.keyboard.type('123');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your tickets' }).waitFor();
  await shot(page, '30-keyboard-tickets');
  assertNoProblems(assert, page);
});
