// The browser session. The access token lives in this module's memory only; the refresh token
// is an HttpOnly cookie that script never sees (ADR 0601). Tabs share the cookie, so refreshes
// from several tabs take turns under a Web Lock: two tabs rotating one refresh token at once
// would look like token theft and end the session.

import { rest } from './api.js';

const SESSION = '/api/v1/auth/session';
const channel = 'BroadcastChannel' in window ? new BroadcastChannel('boxoffice-session') : null;

let accessToken = null;
let expiresAt = 0;
let user = null;
let renewing = null;
const listeners = new Set();

function set(answer) {
  accessToken = answer.access_token;
  expiresAt = Date.now() + answer.expires_in * 1000;
  user = answer.user;
  listeners.forEach((fn) => fn(user));
}

function clear() {
  accessToken = null;
  expiresAt = 0;
  user = null;
  listeners.forEach((fn) => fn(null));
}

function exclusive(fn) {
  if (navigator.locks) return navigator.locks.request('boxoffice-session', fn);
  return fn();
}

async function refresh() {
  try {
    set(await rest(`${SESSION}/refresh`));
    return true;
  } catch (error) {
    if (error.code === 'UNAUTHENTICATED') clear();
    return false;
  }
}

export const session = {
  get user() { return user; },
  onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },

  /** Picks the session up after a reload or in a new tab. */
  start() {
    channel?.addEventListener('message', (event) => {
      if (event.data === 'signed-out') clear();
      if (event.data === 'signed-in' && !user) this.renew();
    });
    return this.renew();
  },

  /** A fresh access token, one refresh at a time per tab and across tabs. */
  renew() {
    renewing ??= exclusive(refresh).finally(() => { renewing = null; });
    return renewing;
  },

  async token() {
    if (!accessToken) return null;
    if (Date.now() > expiresAt - 30_000) await this.renew();
    return accessToken;
  },

  async signIn(email, password) {
    set(await exclusive(() => rest(`${SESSION}/login`, { email, password })));
    channel?.postMessage('signed-in');
  },

  async signUp(name, email, password) {
    set(await exclusive(() => rest(`${SESSION}/register`, { email, password, name })));
    channel?.postMessage('signed-in');
  },

  /** Ends the session on the server first: a cookie still valid there would sign a reload back in. */
  async signOut() {
    await exclusive(() => rest(`${SESSION}/logout`));
    clear();
    channel?.postMessage('signed-out');
  },
};
