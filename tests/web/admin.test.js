// The back office in a real browser against `boxoffice all --demo`: the layout designer and the
// customers' map, the schedule and its clashes, live sales, a staff refund, the door, posters,
// and a customer refused everywhere.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startShop, launch, openPage, axe, shot, assertNoProblems, liveReady, bigShowtime } from './support.js';
import {
  api, login, gqlAs, gqlOk, customer, bookAndPay, hold, pay, ownAuditorium, ownShowtime, firstMovie,
  staffSignIn, emails, eventually, PRICES,
} from './admin-support.js';

let shop;
let browser;
let adminToken;
before(async () => {
  shop = await startShop();
  browser = await launch();
  adminToken = await login(shop.url, shop.credentials.admin_email, shop.credentials.admin_password);
});
after(async () => { await browser?.close(); await shop?.stop(); });

const signInAdmin = (page, route) => staffSignIn(page, shop.url, shop.credentials.admin_email, shop.credentials.admin_password, route);
const signInStaff = (page, route) => staffSignIn(page, shop.url, shop.credentials.staff_email, shop.credentials.staff_password, route);

async function clean(page, name) {
  assert.deepEqual(await axe(page), [], `axe on ${name}`);
  await shot(page, name);
}

/** A start on a far day at a random hour, so that reruns and the demo never clash with it. */
function farDay(offsetDays = 0) {
  const d = new Date(Date.UTC(2031 + Math.floor(Math.random() * 5), Math.floor(Math.random() * 12), 1 + Math.floor(Math.random() * 20) + offsetDays));
  return d.toISOString().slice(0, 10);
}

test('the designer makes a 10×12 auditorium with a centre aisle and 4 accessible seats; customers see exactly that', async () => {
  const page = await openPage(browser, shop.url);
  await page.goto(`${shop.url}/admin#/cinemas`);
  await page.getByRole('heading', { name: 'Back office sign in' }).waitFor();
  await clean(page, 'admin-01-sign-in');
  await signInAdmin(page, '/cinemas');
  await page.getByRole('heading', { name: 'Cinemas and auditoriums' }).waitFor();
  await clean(page, 'admin-02-cinemas');
  await page.getByRole('link', { name: /^New auditorium in / }).first().click();
  await page.getByLabel('Auditorium name').fill(`Designer Hall ${Date.now() % 100000}`);
  await page.getByLabel('Rows', { exact: true }).fill('10');
  await page.getByLabel('Rows', { exact: true }).press('Tab');
  await page.getByLabel('Places per row').fill('13');
  await page.getByLabel('Places per row').press('Tab');
  const cell = (r, c) => page.locator(`button.cell[data-r="${r}"][data-c="${c}"]`);
  await cell(9, 12).waitFor();

  // Drag down the middle column with the aisle tool (the default).
  await cell(9, 6).scrollIntoViewIfNeeded();
  const top = await cell(0, 6).boundingBox();
  const bottom = await cell(9, 6).boundingBox();
  await page.mouse.move(top.x + top.width / 2, top.y + top.height / 2);
  await page.mouse.down();
  await page.mouse.move(bottom.x + bottom.width / 2, bottom.y + bottom.height / 2, { steps: 25 });
  await page.mouse.up();
  // Four accessible seats in the back row: two clicks, and two with the keyboard.
  await page.getByLabel('Accessible seat').check();
  await cell(9, 0).click();
  await cell(9, 1).click();
  await cell(9, 11).focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  await page.getByText('120 seats: 116 standard, 0 premium, 4 accessible.').waitFor();
  assert.equal(await page.locator('.designer-preview .seat-row').count(), 10);
  assert.equal(await page.locator('.designer-preview .aisle').count(), 10);
  await clean(page, 'admin-03-designer');

  // An empty row is named inline and blocks saving.
  await page.getByLabel('Label of row 2').fill('A');
  await page.getByText(/the label A is already used by row 1/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create auditorium' }).isDisabled(), true);
  await page.getByLabel('Label of row 2').fill('B');
  await page.getByRole('button', { name: 'Create auditorium' }).click();
  await page.getByText('The auditorium was created.').waitFor();
  const auditoriumId = new URL(page.url()).hash.match(/created=([\w-]+)/)[1];

  const start = Date.parse(`${farDay()}T19:00:00Z`);
  const { showtime } = await ownShowtime(shop.url, adminToken, auditoriumId, start);
  const customerPage = await openPage(browser, shop.url);
  await customerPage.goto(`${shop.url}/#/showtime/${showtime.id}`);
  await customerPage.locator('button.seat').first().waitFor();
  const rows = await customerPage.$$eval('.seatmap .seat-row', (els) => els.map((row) => [...row.children].map((c) => {
    if (c.classList.contains('aisle')) return '|';
    if (c.classList.contains('seat')) return c.classList.contains('accessible') ? 'a' : 's';
    return '';
  }).join('')));
  assert.equal(rows.length, 10);
  for (const row of rows.slice(0, 9)) assert.equal(row, 'ssssss|ssssss');
  assert.equal(rows[9], 'aassss|ssssaa');
  const accessible = await customerPage.$$eval('button.seat.accessible', (els) => els.map((e) => e.dataset.seat));
  assert.deepEqual(accessible.sort(), ['J-1', 'J-11', 'J-12', 'J-2']);
  await shot(customerPage, 'admin-04-designed-for-customers');
  assertNoProblems(assert, page);
  assertNoProblems(assert, customerPage);
  await page.context().close();
  await customerPage.context().close();
});

test('the schedule adds a showtime, refuses a clashing one with the clash shown, and repeats daily all or none', async () => {
  const { cinema, auditorium } = await ownAuditorium(shop.url, adminToken, `Lane ${Date.now() % 100000}`);
  const movie = await firstMovie(shop.url, adminToken);
  const day = farDay();
  const page = await openPage(browser, shop.url);
  await signInAdmin(page, `/schedule?cinema=${cinema.id}&date=${day}`);
  await page.getByRole('heading', { name: `Schedule — ${cinema.name}` }).waitFor();
  const add = async (startTime, repeatDays = 0) => {
    await page.getByLabel('Movie').selectOption(movie.id);
    await page.getByLabel('Auditorium').selectOption(auditorium.id);
    await page.getByLabel(/^Start/).fill(startTime);
    if (repeatDays) {
      await page.getByLabel('Repeat daily').check();
      await page.getByLabel(/For how many days/).fill(String(repeatDays));
    }
    await page.getByRole('button', { name: /^Add showtimes?$/ }).click();
  };
  await add('18:00');
  await page.getByText('The showtime was added.').waitFor();
  const lane = page.getByRole('region', { name: `${auditorium.name}: 1 showtimes` });
  // The browser's locale writes the time (18:00 or 06:00 PM).
  const six = '(18:00|06:00\\sPM)';
  await lane.getByRole('link', { name: new RegExp(`^${movie.title}\\W+${six}`) }).waitFor();
  await clean(page, 'admin-05-schedule');

  await add('19:00');
  const alert = page.getByRole('alert');
  await alert.getByText('Not added: it clashes with another showtime.').waitFor();
  assert.match(await alert.innerText(), new RegExp(`${movie.title}.*${auditorium.name}.*${six}`, 's'));
  assert.equal(await page.locator('.block.clash').count(), 1);
  await clean(page, 'admin-06-schedule-clash');

  // Starting two days earlier for five days, the third one clashes: nothing is created.
  // Same document, new hash: wait for the new day's form, not the old page's heading.
  await page.goto(`${shop.url}/admin#/schedule?cinema=${cinema.id}&date=${shiftDay(day, -2)}`);
  await page.getByRole('heading', { name: `New showtime on ${shiftDay(day, -2)}` }).waitFor();
  await add('18:30', 5);
  await page.getByText('Nothing was added: these showtimes are in the way.').waitFor();
  assert.match(await page.getByRole('alert').innerText(), new RegExp(`${day} clashes with.*${movie.title}`, 's'));
  const all = (await api(shop.url, adminToken, 'GET', `/api/v1/admin/showtimes?cinema_id=${cinema.id}`)).body;
  assert.equal(all.filter((s) => s.auditorium_id === auditorium.id).length, 1, 'the series created nothing');
  assertNoProblems(assert, page);
  await page.context().close();
});

function shiftDay(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

test('the sales page of a showtime follows a customer booking in another browser, live', async () => {
  const { auditorium, cinema } = await ownAuditorium(shop.url, adminToken, `Sales ${Date.now() % 100000}`);
  const day = farDay();
  const { showtime } = await ownShowtime(shop.url, adminToken, auditorium.id, Date.parse(`${day}T17:00:00Z`));
  const page = await openPage(browser, shop.url);
  await signInAdmin(page, `/sales/${showtime.id}`);
  await page.locator('#sales-figures [data-figure="sold"]').waitFor();
  await liveReady(page);
  const figure = (name) => page.locator(`#sales-figures [data-figure="${name}"]`).innerText();
  assert.equal(await figure('sold'), '0');
  assert.equal(await figure('free'), '40 of 40');

  const buyer = await customer(shop.url);
  const booking = await hold(shop.url, buyer, showtime.id, ['C-4', 'C-5']);
  await page.waitForFunction(() => document.querySelector('#sales-figures [data-figure="held"]').textContent === '2', null, { timeout: 5000 });
  assert.equal(await page.locator('.seat.held').count(), 2);
  assert.match(await page.locator('[data-seat="C-4"]').getAttribute('aria-label'), /held$/);
  await pay(shop.url, buyer, booking.id);
  await page.waitForFunction(() => document.querySelector('#sales-figures [data-figure="sold"]').textContent === '2', null, { timeout: 5000 });
  assert.equal(await figure('held'), '0');
  assert.equal(await page.locator('.seat.sold').count(), 2);
  assert.match(await figure('revenue'), /23[.,]00/);
  await clean(page, 'admin-07-sales-live');

  await page.goto(`${shop.url}/admin#/sales?cinema=${cinema.id}&date=${day}`);
  await page.getByRole('table', { name: `Showtimes on ${day}` }).waitFor();
  assert.match(await page.locator('.totals').innerText(), /23[.,]00/);
  await clean(page, 'admin-08-sales-day');
  assertNoProblems(assert, page);
  await page.context().close();
});

test('a staff refund shows as refunded in the customer\'s My bookings and sends the refund email', async () => {
  const showtime = await bigShowtime(shop.url);
  const buyer = await customer(shop.url, 'Rosa Refund');
  const seats = await freeSeatsOf(showtime.id, 1);
  const booking = await bookAndPay(shop.url, buyer, showtime.id, seats);
  assert.equal(booking.status, 'CONFIRMED');

  const page = await openPage(browser, shop.url);
  await signInAdmin(page, `/bookings?q=${encodeURIComponent(buyer.email.toUpperCase())}`);
  await page.getByRole('link', { name: /Rosa Refund/ }).click();
  await page.getByRole('heading', { name: 'Booking of Rosa Refund' }).waitFor();
  await page.getByRole('table', { name: 'Saga history' }).waitFor();
  await clean(page, 'admin-09-booking');
  await page.getByLabel('Reason (kept in the history)').fill('Customer was ill; manager approved');
  await page.getByRole('button', { name: /^Refund / }).click();
  await page.getByText('Refunded. The customer gets an email.').waitFor();
  assert.match(await page.getByRole('table', { name: 'Saga history' }).innerText(), /Customer was ill/);
  await eventually(() => emails(shop.dir, buyer.email, 'refund').length > 0, 'the refund email');
  await page.reload();
  await page.getByRole('table', { name: 'Emails sent' }).waitFor();
  await clean(page, 'admin-10-refunded');

  const shopPage = await openPage(browser, shop.url);
  await shopPage.goto(`${shop.url}/#/signin?next=/bookings`);
  await shopPage.getByLabel('Email').fill(buyer.email);
  await shopPage.getByLabel('Password').fill(buyer.password);
  await shopPage.getByRole('button', { name: 'Sign in' }).click();
  await shopPage.getByText('Refunded').first().waitFor();
  await shot(shopPage, 'admin-11-customer-sees-refund');
  assertNoProblems(assert, page);
  assertNoProblems(assert, shopPage);
  await page.context().close();
  await shopPage.context().close();
});

async function freeSeatsOf(showtimeId, n) {
  const data = await gqlOk(shop.url, null, 'query S($id: ID!) { showtime(id: $id) { seatMap { rows { seats { id status } } } } }', { id: showtimeId });
  const free = data.showtime.seatMap.rows.flatMap((r) => r.seats).filter((s) => s.status === 'AVAILABLE').map((s) => s.id);
  const start = Math.floor(Math.random() * (free.length - n));
  return free.slice(start, start + n);
}

test('the door says VALID once, ALREADY USED at the next door, REFUNDED, WRONG SHOWTIME and UNKNOWN', async () => {
  const { auditorium, cinema } = await ownAuditorium(shop.url, adminToken, `Door ${Date.now() % 100000}`);
  // Today in the cinema's zone, a few minutes from now, so it is on the door's list.
  const { showtime } = await ownShowtime(shop.url, adminToken, auditorium.id, Math.ceil((Date.now() + 5 * 60_000) / 60_000) * 60_000);
  const buyer = await customer(shop.url);
  const good = await bookAndPay(shop.url, buyer, showtime.id, ['A-1', 'A-2']);
  const refunded = await bookAndPay(shop.url, buyer, showtime.id, ['B-1']);
  await gqlOk(shop.url, adminToken, 'mutation R($id: ID!) { staffRefundBooking(bookingId: $id, reason: "test") { status } }', { id: refunded.id });
  const elsewhere = await bookAndPay(shop.url, buyer, (await bigShowtime(shop.url)).id, await freeSeatsOf((await bigShowtime(shop.url)).id, 1));

  const north = await openPage(browser, shop.url);
  await signInStaff(north, `/door?cinema=${cinema.id}`);
  await north.getByLabel(/^Showtime today/).selectOption(showtime.id);
  await north.getByLabel('This door').fill('North');
  await north.getByRole('button', { name: 'Start checking tickets' }).click();
  await north.getByRole('heading', { name: 'Door: North' }).waitFor();
  await clean(north, 'admin-12-door');
  const check = async (page, code) => {
    await page.getByLabel('Ticket code').fill(code);
    await page.getByRole('button', { name: 'Check ticket' }).click();
  };
  const outcome = async (page, expected) => {
    await page.waitForFunction((o) => document.getElementById('door-answer').dataset.outcome === o, expected, { timeout: 5000 });
    return page.locator('#door-answer').innerText();
  };
  await check(north, good.tickets[0].code.toLowerCase());
  assert.match(await outcome(north, 'VALID'), /VALID[\s\S]*Seat A-1/);
  await clean(north, 'admin-13-door-valid');
  await check(north, good.tickets[1].code);
  await outcome(north, 'VALID');

  const south = await openPage(browser, shop.url);
  await signInStaff(south, `/door?cinema=${cinema.id}&showtime=${showtime.id}&door=South`);
  await south.getByRole('heading', { name: 'Door: South' }).waitFor();
  await check(south, good.tickets[0].code);
  assert.match(await outcome(south, 'ALREADY_USED'), /ALREADY USED[\s\S]*at North/);
  await clean(south, 'admin-14-door-already-used');
  await check(south, refunded.tickets[0].code);
  assert.match(await outcome(south, 'REFUNDED'), /REFUNDED/);
  await check(south, elsewhere.tickets[0].code);
  assert.match(await outcome(south, 'WRONG_SHOWTIME'), /WRONG SHOWTIME[\s\S]*This ticket is for/);
  await check(south, 'NOT-A-TICKET-CODE');
  assert.match(await outcome(south, 'UNKNOWN'), /UNKNOWN/);
  await shot(south, 'admin-15-door-unknown');

  // The door on a phone: the answer fills the screen, nothing scrolls sideways.
  const phone = await openPage(browser, shop.url, { viewport: { width: 360, height: 640 } });
  await signInStaff(phone, `/door?cinema=${cinema.id}&showtime=${showtime.id}&door=Side`);
  await check(phone, good.tickets[1].code);
  await outcome(phone, 'ALREADY_USED');
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
  await clean(phone, 'admin-16-door-phone');
  for (const p of [north, south, phone]) { assertNoProblems(assert, p); await p.context().close(); }
});

test('the door scans a QR code with the camera and checks the ticket in', async () => {
  const { auditorium, cinema } = await ownAuditorium(shop.url, adminToken, `Scan ${Date.now() % 100000}`);
  const { showtime } = await ownShowtime(shop.url, adminToken, auditorium.id, Math.ceil((Date.now() + 5 * 60_000) / 60_000) * 60_000);
  const buyer = await customer(shop.url);
  const booking = await bookAndPay(shop.url, buyer, showtime.id, ['C-3']);
  // Chromium's fake camera; Linux Chromium has no BarcodeDetector, so a stand-in reads the
  // code the test shows it. What is tested is the page: camera, scan loop, check-in, answer.
  const camera = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
  try {
    const context = await camera.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['camera'] });
    await context.addInitScript(() => {
      window.BarcodeDetector = class {
        async detect(video) { return video.readyState >= 2 && window.shownCode ? [{ rawValue: window.shownCode }] : []; }
      };
    });
    const page = await openPage(camera, shop.url, { context });
    await signInStaff(page, `/door?cinema=${cinema.id}&showtime=${showtime.id}&door=Camera`);
    await page.getByRole('button', { name: 'Scan with camera' }).click();
    await page.getByRole('button', { name: 'Stop the camera' }).waitFor();
    await page.evaluate((code) => { window.shownCode = code; }, booking.tickets[0].code);
    await page.waitForFunction(() => document.getElementById('door-answer').dataset.outcome === 'VALID', null, { timeout: 10_000 });
    assert.match(await page.locator('#door-answer').innerText(), /Seat C-3/);
    // Still in front of the camera two seconds later: still the one VALID, not ALREADY USED.
    await page.waitForTimeout(2000);
    assert.equal(await page.locator('#door-answer').getAttribute('data-outcome'), 'VALID');
    await clean(page, 'admin-16b-door-camera');
    await page.getByRole('button', { name: 'Stop the camera' }).click();
    assert.equal(await page.locator('video.scanner').isHidden(), true);
    assertNoProblems(assert, page);
  } finally {
    await camera.close();
  }
});

test('a poster uploaded from the browser is checked, stored and served with caching headers', async () => {
  const page = await openPage(browser, shop.url);
  await signInAdmin(page, '/movies/new');
  await page.getByLabel('Title').fill(`Poster Test ${Date.now() % 100000}`);
  await page.getByLabel('Runtime (minutes)').fill('101');
  await page.getByLabel('Genres').fill('drama, test');
  await page.getByLabel('Poster image').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
  await page.getByRole('button', { name: 'Add movie' }).click();
  await page.getByText(/^Not saved: /).waitFor();
  // The movie itself was saved before the poster was refused: it is now being edited.
  await page.getByRole('heading', { name: /^Edit Poster Test/ }).waitFor();
  await page.getByLabel('Poster image').setInputFiles({ name: 'poster.png', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: 'Save movie' }).click();
  await page.getByText('Saved.').waitFor();
  const src = await page.locator('.poster-current img').getAttribute('src');
  assert.match(src, /^\/api\/v1\/posters\/[\w-]+\?v=/);
  await page.waitForFunction(() => document.querySelector('.poster-current img')?.naturalWidth === 2);
  const served = await fetch(`${shop.url}${src}`);
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('content-type'), 'image/png');
  assert.match(served.headers.get('cache-control'), /max-age=\d+/);
  assert.ok(served.headers.get('etag'));
  await clean(page, 'admin-17-movie-poster');
  assertNoProblems(assert, page);
  await page.context().close();
});

// A 2×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGP4z8DwHwyBNAMAN9YG+pOVuwAAAABJRU5ErkJggg==', 'base64');

test('a customer is refused on every back-office page and by every staff API; staff only where staff may', async () => {
  const buyer = await customer(shop.url, 'Curious Customer');
  const page = await openPage(browser, shop.url);
  await staffSignIn(page, shop.url, buyer.email, buyer.password, '/');
  // Sign-in left the page on `/`; each route differs from the one before (a same-hash goto
  // would not navigate).
  for (const route of ['/cinemas', '/movies', '/schedule', '/sales', '/bookings', '/door', '/bookings/0190a0a0-0000-7000-8000-000000000000', '/']) {
    // Emptied first, so the heading waited for is the new route's, not the last one's.
    await page.evaluate(() => document.getElementById('main').replaceChildren());
    await page.goto(`${shop.url}/admin#${route}`);
    await page.getByRole('heading', { name: 'Staff only' }).waitFor();
  }
  await clean(page, 'admin-18-customer-refused');

  const anyId = '0190a0a0-0000-7000-8000-000000000000';
  const staffToken = await login(shop.url, shop.credentials.staff_email, shop.credentials.staff_password);
  const rest = [
    ['GET', '/api/v1/admin/cinemas'], ['GET', '/api/v1/admin/movies'], ['GET', '/api/v1/admin/showtimes'],
    ['POST', '/api/v1/admin/showtimes', { movie_id: anyId, auditorium_id: anyId, starts_at: '2031-01-01T18:00:00Z', prices: PRICES }],
    ['POST', '/api/v1/admin/showtimes/series', { movie_id: anyId, auditorium_id: anyId, starts_at: '2031-01-01T18:00:00Z', prices: PRICES, days: 2 }],
    ['GET', `/api/v1/admin/showtimes/${anyId}/sales`], ['GET', `/api/v1/admin/sales?cinema_id=${anyId}&date=2031-01-01`],
    ['PUT', `/api/v1/admin/movies/${anyId}/poster`, {}], ['GET', `/api/v1/admin/notifications?booking_id=${anyId}`],
  ];
  for (const [method, path, body] of rest) {
    assert.equal((await api(shop.url, buyer.token, method, path, body)).status, 403, `customer ${method} ${path}`);
    const staffAllowed = path.startsWith('/api/v1/admin/notifications');
    if (!staffAllowed) assert.equal((await api(shop.url, staffToken, method, path, body)).status, 403, `staff ${method} ${path}`);
  }
  assert.equal((await api(shop.url, staffToken, 'GET', `/api/v1/admin/notifications?booking_id=${anyId}`)).status, 200);
  const graph = [
    ['query { findBookings(query: "x@example.com") { id } }', true],
    [`mutation { checkIn(code: "ABC", showtimeId: "${anyId}", door: "North") { outcome } }`, true],
    [`mutation { staffRefundBooking(bookingId: "${anyId}", reason: "no") { id } }`, false],
  ];
  for (const [query, staffMay] of graph) {
    const asCustomer = await gqlAs(shop.url, buyer.token, query);
    assert.equal(asCustomer.errors?.[0]?.extensions?.code, 'FORBIDDEN', `customer: ${query}`);
    const asStaff = await gqlAs(shop.url, staffToken, query);
    if (staffMay) assert.notEqual(asStaff.errors?.[0]?.extensions?.code, 'FORBIDDEN', `staff: ${query}`);
    else assert.equal(asStaff.errors?.[0]?.extensions?.code, 'FORBIDDEN', `staff: ${query}`);
  }
  // The staff account sees only the desk and the door.
  const desk = await openPage(browser, shop.url);
  await signInStaff(desk, '/');
  assert.deepEqual(await desk.locator('#admin-nav a').allInnerTexts(), ['Bookings', 'Door']);
  await desk.goto(`${shop.url}/admin#/schedule`);
  await desk.getByRole('heading', { name: 'Staff only' }).waitFor();
  await clean(desk, 'admin-19-staff-home');
  assertNoProblems(assert, page);
  await page.context().close();
  await desk.context().close();
});
