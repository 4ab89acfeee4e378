// Sign in and sign up.

import { session } from '../auth.js';
import { h, show, notice, field } from '../dom.js';
import { describe } from '../errors.js';

export async function render([mode], query, { go }) {
  const next = safeNext(query.get('next'));
  const signUp = mode === 'signup';
  const error = h('div', { class: 'form-error' });
  const name = h('input', { name: 'name', autocomplete: 'name', required: true, maxlength: 100 });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', {
    name: 'password', type: 'password', required: true, minlength: signUp ? 10 : undefined,
    autocomplete: signUp ? 'new-password' : 'current-password',
  });
  const submit = h('button', { type: 'submit' }, signUp ? 'Create account' : 'Sign in');
  const form = h('form', { class: 'card narrow', novalidate: true },
    signUp ? field('Your name', name) : null,
    field('Email', email),
    field('Password', password, signUp ? 'At least 10 characters; not a common password.' : null),
    error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    error.replaceChildren();
    try {
      if (signUp) await session.signUp(name.value.trim(), email.value.trim(), password.value);
      else await session.signIn(email.value.trim(), password.value);
      go(next);
    } catch (err) {
      error.replaceChildren(notice('error', words(err, signUp)));
      submit.disabled = false;
      submit.focus();
    }
  });
  const other = signUp
    ? h('p', {}, 'Already have an account? ', h('a', { href: `#/signin?next=${encodeURIComponent(next)}` }, 'Sign in'))
    : h('p', {}, 'New here? ', h('a', { href: `#/signup?next=${encodeURIComponent(next)}` }, 'Create an account'));
  show(signUp ? 'Sign up' : 'Sign in', h('h1', {}, signUp ? 'Create your account' : 'Sign in'), form, other);
}

function words(error, signUp) {
  if (error.status === 401 && !signUp) return 'That email and password do not match an account.';
  if (error.status === 409) return 'An account with this email already exists. Sign in instead.';
  if (error.status === 422) return `${error.message}`;
  return describe(error);
}

/** Only a path inside the shop, never another site. */
function safeNext(next) {
  return next && /^\/[\w\-/?=&%.,]*$/.test(next) && !/^\/(signin|signup)/.test(next) ? next : '/';
}
