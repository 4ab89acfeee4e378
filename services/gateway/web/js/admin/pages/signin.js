// Staff sign in with the same session as the shop (the refresh cookie, the token in memory).

import { session } from '../../auth.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';

export function render(_params, query) {
  // Only ever a route of this page: it becomes the hash, never a location of its own.
  const next = /^\/[\w\-/?=&%.,@+:]*$/.test(query.get('next') || '') ? query.get('next') : '/';
  const error = h('div', { class: 'form-error' });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'card narrow', novalidate: true },
    field('Email', email), field('Password', password), error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    error.replaceChildren();
    try {
      // Signing in changes the session, which redraws the page the router is on.
      history.replaceState(null, '', `#${next}`);
      await session.signIn(email.value.trim(), password.value);
    } catch (err) {
      error.replaceChildren(notice('error', err.status === 401
        ? 'That email and password do not match an account.' : describe(err)));
      submit.disabled = false;
      submit.focus();
    }
  });
  show('Staff sign in', h('h1', {}, 'Back office sign in'),
    h('p', { class: 'meta' }, 'For cinema staff. Moviegoers sign in at ', h('a', { href: '/' }, 'the shop'), '.'),
    form);
}
