// Support for the back-office tests: staff sign-in through the page, API clients for admin,
// staff and customers, and a showtime of our own in an auditorium of our own.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export async function api(url, token, method, path, body) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, body: json, headers: r.headers };
}

export async function login(url, email, password) {
  const r = await api(url, null, 'POST', '/api/v1/auth/login', { email, password });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

export async function gqlAs(url, token, query, variables = {}) {
  const r = await api(url, token, 'POST', '/graphql', { query, variables });
  return r.body;
}

/** A gql call that must succeed. */
export async function gqlOk(url, token, query, variables = {}) {
  const body = await gqlAs(url, token, query, variables);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** A new customer of the API with a known password (to sign in to the shop as them later). */
export async function customer(url, name = 'Desk Customer') {
  const email = `desk-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`;
  const password = 'a long customer password 42';
  const r = await api(url, null, 'POST', '/api/v1/auth/register', { email, password, name });
  if (r.status !== 201) throw new Error(`register: ${r.status}`);
  return { email, password, name, token: r.body.access_token };
}

const BOOK = 'mutation B($input: CreateBookingInput!) { createBooking(input: $input) { id status } }';
const PAY = `mutation P($input: PayBookingInput!) { payBooking(input: $input) { id status tickets { code seatId } } }`;

/** Holds and pays `seats` of a showtime as the customer; returns the booking with its tickets. */
export async function bookAndPay(url, who, showtimeId, seats) {
  const { createBooking } = await gqlOk(url, who.token, BOOK, { input: { showtimeId, seatIds: seats } });
  const { payBooking } = await gqlOk(url, who.token, PAY, {
    input: {
      bookingId: createBooking.id,
      card: { number: '4242424242424242', expMonth: 12, expYear: 2039, cvc: '123' },
      idempotencyKey: `pay-${createBooking.id}`,
    },
  });
  return payBooking;
}

export async function hold(url, who, showtimeId, seats) {
  return (await gqlOk(url, who.token, BOOK, { input: { showtimeId, seatIds: seats } })).createBooking;
}

export async function pay(url, who, bookingId) {
  return (await gqlOk(url, who.token, PAY, {
    input: { bookingId, card: { number: '4242424242424242', expMonth: 12, expYear: 2039, cvc: '123' }, idempotencyKey: `pay-${bookingId}` },
  })).payBooking;
}

/** A grid auditorium of our own in the first cinema, so no demo showtime is in the way. */
export async function ownAuditorium(url, adminToken, name, rows = 5, seats = 8) {
  const cinemas = (await api(url, adminToken, 'GET', '/api/v1/admin/cinemas')).body;
  const cinema = cinemas[0];
  const layout = {
    rows: Array.from({ length: rows }, (_, r) => ({
      label: String.fromCharCode(65 + r),
      seats: Array.from({ length: seats }, (_, i) => ({ number: i + 1, type: 'standard' })),
    })),
  };
  const made = await api(url, adminToken, 'POST', `/api/v1/admin/cinemas/${cinema.id}/auditoriums`, { name, layout });
  if (made.status !== 201) throw new Error(`auditorium: ${made.status} ${JSON.stringify(made.body)}`);
  return { cinema, auditorium: made.body };
}

export async function firstMovie(url, adminToken) {
  const movies = (await api(url, adminToken, 'GET', '/api/v1/admin/movies')).body;
  return movies.sort((a, b) => a.title.localeCompare(b.title))[0];
}

export const PRICES = { currency: 'EUR', standard: 1150, premium: 1490, accessible: 900 };

export async function ownShowtime(url, adminToken, auditoriumId, startsAt) {
  const movie = await firstMovie(url, adminToken);
  const made = await api(url, adminToken, 'POST', '/api/v1/admin/showtimes', {
    movie_id: movie.id, auditorium_id: auditoriumId, starts_at: new Date(startsAt).toISOString(), prices: PRICES,
  });
  if (made.status !== 201) throw new Error(`showtime: ${made.status} ${JSON.stringify(made.body)}`);
  return { showtime: made.body, movie };
}

/** Signs in on the back office's own form. */
export async function staffSignIn(page, url, email, password, route = '/') {
  await page.goto(`${url}/admin#${route}`);
  await page.getByRole('heading', { name: 'Back office sign in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** The .eml files of the demo's email outbox that mention every one of `words`. */
export function emails(dataDir, ...words) {
  const dir = join(dataDir, 'email-outbox');
  let names = [];
  try { names = readdirSync(dir); } catch { return []; }
  return names.filter((n) => n.endsWith('.eml'))
    .map((n) => readFileSync(join(dir, n), 'utf8'))
    .filter((text) => words.every((w) => text.toLowerCase().includes(w.toLowerCase())));
}

export const sleep = (ms) => new Promise((ok) => { setTimeout(ok, ms); });

export async function eventually(fn, what, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
