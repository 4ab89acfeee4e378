// The back office's entry point: the staff session, the menu for the caller's role, and a hash
// router like the shop's. Pages check nothing themselves: every API they call refuses a caller
// without the role (403), and the router only saves a customer the round trip.

import { session } from '../auth.js';
import { h, show, notice } from '../dom.js';
import { describe } from '../errors.js';

const ADMIN = 'admin';
const STAFF = 'staff';

const routes = [
  [/^\/$/, STAFF, () => import('./pages/home.js')],
  [/^\/cinemas$/, ADMIN, () => import('./pages/cinemas.js')],
  [/^\/cinemas\/([\w-]+)\/auditoriums\/(new|[\w-]+)$/, ADMIN, () => import('./pages/designer.js')],
  [/^\/movies$/, ADMIN, () => import('./pages/movies.js')],
  [/^\/movies\/(new|[\w-]+)$/, ADMIN, () => import('./pages/movie.js')],
  [/^\/schedule$/, ADMIN, () => import('./pages/schedule.js')],
  [/^\/sales$/, ADMIN, () => import('./pages/sales.js')],
  [/^\/sales\/([\w-]+)$/, ADMIN, () => import('./pages/showtime-sales.js')],
  [/^\/bookings$/, STAFF, () => import('./pages/bookings.js')],
  [/^\/bookings\/([\w-]+)$/, STAFF, () => import('./pages/booking.js')],
  [/^\/door$/, STAFF, () => import('./pages/door.js')],
];

const MENU = [
  ['#/cinemas', 'Cinemas', ADMIN],
  ['#/movies', 'Movies', ADMIN],
  ['#/schedule', 'Schedule', ADMIN],
  ['#/sales', 'Sales', ADMIN],
  ['#/bookings', 'Bookings', STAFF],
  ['#/door', 'Door', STAFF],
];

/** Whether a user with `role` may open pages that need `needed`. */
export function allowed(role, needed) {
  if (role === ADMIN) return true;
  return needed === STAFF && role === STAFF;
}

let cleanup = null;
let generation = 0;

export function go(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = path;
}

function parse() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path, query: new URLSearchParams(search) };
}

async function route() {
  const mine = ++generation;
  if (cleanup) { cleanup(); cleanup = null; }
  const { path, query } = parse();
  const user = session.user;
  const match = routes.find(([re]) => re.test(path));
  const ctx = { go, isCurrent: () => mine === generation, user };
  try {
    if (!user) {
      const page = await import('./pages/signin.js');
      // Back to the whole address after signing in, query included (a door's showtime).
      const raw = location.hash.replace(/^#/, '') || '/';
      page.render([], new URLSearchParams({ next: path === '/signin' ? '/' : raw }), ctx);
      return;
    }
    if (!match) {
      show('Not found', h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'Back office home')));
      return;
    }
    const [re, needed, load] = match;
    if (!allowed(user.role, needed)) {
      show('Not allowed', h('h1', {}, 'Staff only'),
        notice('error', needed === ADMIN
          ? 'This page is for cinema managers (role admin). Your account cannot open it.'
          : 'The back office is for cinema staff. Your account is a customer account.'),
        h('p', {}, h('a', { href: '/' }, 'Go to the shop')));
      return;
    }
    const page = await load();
    const done = await page.render(path.match(re).slice(1), query, ctx);
    if (mine === generation) cleanup = typeof done === 'function' ? done : null;
    else if (typeof done === 'function') done();
  } catch (error) {
    if (mine !== generation) return;
    console.error(error);
    show('Error', h('h1', {}, 'Something went wrong'), notice('error', describe(error)),
      h('p', {}, h('a', { href: '#/' }, 'Back office home')));
  }
}

function renderNav(user) {
  const nav = document.getElementById('admin-nav');
  if (!user) { nav.replaceChildren(); return; }
  const current = `#${parse().path}`;
  nav.replaceChildren(
    ...MENU.filter(([, , needed]) => allowed(user.role, needed))
      .map(([href, text]) => h('a', { href, 'aria-current': current.startsWith(href) ? 'page' : null }, text)),
    h('span', { class: 'who' }, `${user.name} (${user.role})`),
    h('button', {
      type: 'button',
      class: 'link',
      onclick: async () => {
        try {
          await session.signOut();
          go('/');
        } catch (error) {
          document.getElementById('main').prepend(notice('error', `Signing out did not work: ${describe(error)}`));
        }
      },
    }, 'Sign out'));
}

async function start() {
  // A refreshed token is the same user: only signing in or out redraws the page.
  let who = null;
  await session.start();
  who = session.user?.id ?? null;
  session.onChange((user) => {
    const id = user?.id ?? null;
    if (id === who) return;
    who = id;
    renderNav(user);
    route();
  });
  renderNav(session.user);
  window.addEventListener('hashchange', () => { renderNav(session.user); route(); });
  await route();
}

start();
