// The shop's entry point: the session, the account menu, and a hash router (the gateway serves
// one page; every view is a `#/…` address, so reloads and shared links work).

import { session } from './auth.js';
import { h, show, notice } from './dom.js';
import { describe } from './errors.js';

const routes = [
  [/^\/$/, () => import('./pages/home.js')],
  [/^\/movie\/([\w-]+)$/, () => import('./pages/movie.js')],
  [/^\/showtime\/([\w-]+)$/, () => import('./pages/showtime.js')],
  [/^\/booking\/([\w-]+)$/, () => import('./pages/booking.js')],
  [/^\/bookings$/, () => import('./pages/bookings.js')],
  [/^\/(signin|signup)$/, () => import('./pages/account.js')],
];

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
  const match = routes.find(([re]) => re.test(path));
  if (!match) {
    show('Not found', h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'See what is showing')));
    return;
  }
  const params = path.match(match[0]).slice(1);
  try {
    const page = await match[1]();
    const done = await page.render(params, query, { go, isCurrent: () => mine === generation });
    if (mine === generation) cleanup = typeof done === 'function' ? done : null;
    else if (typeof done === 'function') done();
  } catch (error) {
    if (mine !== generation) return;
    console.error(error);
    show('Error', h('h1', {}, 'Something went wrong'), notice('error', describe(error)),
      h('p', {}, h('a', { href: '#/' }, 'Back to the programme')));
  }
}

function renderNav(user) {
  const nav = document.getElementById('account-nav');
  if (user) {
    nav.replaceChildren(
      h('a', { href: '#/bookings' }, 'My bookings'),
      h('span', { class: 'who' }, user.name),
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
  } else {
    const back = encodeURIComponent(parse().path);
    nav.replaceChildren(
      h('a', { href: `#/signin?next=${back}` }, 'Sign in'),
      h('a', { href: `#/signup?next=${back}`, class: 'button small' }, 'Sign up'));
  }
}

async function start() {
  session.onChange(renderNav);
  await session.start();
  renderNav(session.user);
  window.addEventListener('hashchange', () => { renderNav(session.user); route(); });
  await route();
}

start();
