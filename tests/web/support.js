// Test support: `boxoffice all --demo` on a fresh data dir, Debian's Chromium, axe-core,
// screenshots under target/web-screenshots, and a GraphQL client for a second customer.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, 'target');
const binary = process.env.BOXOFFICE_BIN || join(target, 'debug', 'boxoffice');
export const screenshots = join(target, 'web-screenshots');
mkdirSync(screenshots, { recursive: true });

const SERVICES = ['USERS__LISTEN', 'CINEMA__HTTP_ADDR', 'CINEMA__GRPC_ADDR', 'PAYMENTS__LISTEN',
  'BOOKING__LISTEN', 'NOTIFICATIONS__LISTEN'];

export async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/**
 * Starts `boxoffice all --demo`; every service on a free port unless `gatewayPort` is given.
 * With BOXOFFICE_SHOP_URL and BOXOFFICE_SHOP_DIR set (scripts/web-distributed.sh) it uses that
 * running deployment and its data directory instead.
 */
export async function startShop({ env = {}, dataDir = null, gatewayPort = 0 } = {}) {
  if (process.env.BOXOFFICE_SHOP_URL) {
    const dir = process.env.BOXOFFICE_SHOP_DIR;
    return {
      url: process.env.BOXOFFICE_SHOP_URL,
      dir,
      credentials: JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8')),
      log: () => '',
      async stop() {},
    };
  }
  const dir = dataDir || mkdtempSync(join(tmpdir(), 'bo-web-'));
  const vars = { ...process.env, BOXOFFICE_DATA_DIR: dir, RUST_LOG: 'warn,boxoffice=info', ...env };
  for (const key of SERVICES) vars[`BOXOFFICE_${key}`] = '127.0.0.1:0';
  vars.BOXOFFICE_GATEWAY__LISTEN = `127.0.0.1:${gatewayPort}`;
  const child = spawn(binary, ['all', '--demo'], { env: vars, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`boxoffice did not start:\n${log}`)), 60_000);
    const onData = (chunk) => {
      log += chunk;
      for (const line of log.split('\n')) {
        if (!line.includes('"boxoffice ready"')) continue;
        try {
          const entry = JSON.parse(line);
          clearTimeout(timer);
          ok(`http://${entry.gateway}`);
        } catch { /* a partial line */ }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`boxoffice exited with ${code}:\n${log}`)));
  });
  const credentials = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8'));
  return {
    url,
    dir,
    credentials,
    log: () => log,
    async stop({ keep = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Chromium; `extraArgs` add flags (the door test's fake camera). */
export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', ...extraArgs],
  });
}

/**
 * A page that fails the test on a CSP violation, an uncaught error or a request that leaves
 * the shop's origin.
 */
export async function openPage(browser, shopUrl, { viewport = { width: 1280, height: 900 }, context = null } = {}) {
  const ctx = context || await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) page.problems.push(`CSP: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.host !== new URL(shopUrl).host) page.problems.push(`foreign request: ${r.url()}`);
  });
  page.on('dialog', (d) => d.accept());
  return page;
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now. */
export async function axe(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`);
}

export async function shot(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage });
}

/** A customer of the API, next to the browser: the "someone else" of the live tests. */
export async function apiCustomer(url, name = 'Rival') {
  const email = `rival-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`;
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a long rival password 42', name }),
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
  const { access_token: token } = await response.json();
  return {
    async gql(query, variables = {}) {
      const r = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = await r.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  };
}

/** The next showtime of the demo's largest auditorium (the first cinema's first hall). */
export async function bigShowtime(url) {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ showtimes { id startsAt auditorium { name } movie { id title } } }' }),
  });
  const { data } = await r.json();
  const future = data.showtimes.filter((s) => Date.parse(s.startsAt) > Date.now() + 3 * 3600_000);
  future.sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  return future.find((s) => s.auditorium.name.includes('Large Format')) || future[0];
}

/** Signs a new customer up through the shop's own form; returns their email. */
export async function signUp(page, url, name = 'Ada Moviegoer') {
  const email = `web-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`;
  await page.goto(`${url}/#/signup`);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return email;
}

/** The seat buttons that can be chosen, as ids, in map order. */
export async function freeSeats(page) {
  await page.locator('button.seat').first().waitFor();
  return page.$$eval('button.seat:not([disabled])', (els) => els.map((e) => e.dataset.seat));
}

/** Two free seats side by side in the middle of a row near the back. */
export async function seatPair(page) {
  const free = await freeSeats(page);
  const byRow = new Map();
  for (const id of free) {
    const [row, n] = id.split('-');
    if (!byRow.has(row)) byRow.set(row, []);
    byRow.get(row).push(Number(n));
  }
  const rows = [...byRow.keys()].reverse();
  for (const row of rows) {
    const nums = byRow.get(row).sort((a, b) => a - b);
    const mid = nums[Math.floor(nums.length / 2)];
    if (nums.includes(mid + 1)) return [`${row}-${mid}`, `${row}-${mid + 1}`];
  }
  throw new Error('no two free seats together');
}

/** Waits until the seat map and its live subscription agree (the page's first resync). */
export async function liveReady(page) {
  await page.waitForFunction(() => document.documentElement.dataset.seatmapLive === 'ready', null, { timeout: 10_000 });
}

/** Opens a showtime's seat map and chooses two free seats side by side; returns their ids. */
export async function chooseTwoSeats(page, url, showtimeId) {
  await page.goto(`${url}/#/showtime/${showtimeId}`);
  const pair = await seatPair(page);
  for (const id of pair) await seat(page, id).click();
  return pair;
}

export const seat = (page, id) => page.locator(`button.seat[data-seat="${id}"]`);

export async function payWith(page, number) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry (MM/YY)').fill('12/39');
  await page.getByLabel('Security code (CVC)').fill('123');
  await page.getByRole('button', { name: /^Pay / }).click();
}

export function assertNoProblems(assert, page) {
  assert.deepEqual(page.problems, [], 'no CSP violation, page error or foreign request');
}
