// The public API: GraphQL over HTTP with the in-memory access token.

import { session } from './auth.js';
import { ApiError } from './errors.js';

/** Milliseconds to add to the local clock to get the server's (from the Date header). */
let clockOffset = 0;
export const serverNow = () => Date.now() + clockOffset;

function learnClock(response) {
  const date = Date.parse(response.headers.get('date') || '');
  // The Date header has one-second resolution: only correct clearly wrong clocks.
  if (Number.isFinite(date) && Math.abs(date - Date.now()) > 2000) clockOffset = date - Date.now();
}

export async function gql(query, variables = {}, { auth = false } = {}) {
  const first = await post(query, variables, auth);
  if (first.code === 'UNAUTHENTICATED' && auth && (await session.renew())) {
    return unwrap(await post(query, variables, auth));
  }
  return unwrap(first);
}

function unwrap(result) {
  if (result instanceof ApiError) throw result;
  return result;
}

async function post(query, variables, auth) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const token = auth ? await session.token() : null;
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST', headers, body: JSON.stringify({ query, variables }), credentials: 'omit',
    });
  } catch {
    return new ApiError('NETWORK', 'network error');
  }
  learnClock(response);
  const requestId = response.headers.get('x-request-id');
  const retryAfter = Number(response.headers.get('retry-after')) || null;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (body && Array.isArray(body.errors) && body.errors.length) {
    const e = body.errors[0];
    const ext = e.extensions || {};
    return new ApiError(ext.code || 'INTERNAL', e.message, {
      seats: ext.seats || [], retryAfter, requestId, status: response.status,
    });
  }
  if (response.status === 401) return new ApiError('UNAUTHENTICATED', 'sign in', { requestId, status: 401 });
  if (response.status === 429) return new ApiError('RATE_LIMITED', 'slow down', { retryAfter, requestId, status: 429 });
  if (!response.ok || !body || !body.data) {
    return new ApiError('INTERNAL', (body && body.detail) || `HTTP ${response.status}`, { requestId, status: response.status });
  }
  return body.data;
}

/** A REST call to the auth endpoints: JSON in, JSON (or nothing) out, problem+json errors. */
export async function rest(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-boxoffice-client': 'web' },
      body: JSON.stringify(body ?? {}),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError('NETWORK', 'network error');
  }
  learnClock(response);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const requestId = response.headers.get('x-request-id');
  const retryAfter = Number(response.headers.get('retry-after')) || null;
  const code = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 429: 'RATE_LIMITED' }[response.status]
    || (response.status >= 500 ? 'INTERNAL' : 'BAD_USER_INPUT');
  const error = new ApiError(code, (data && (data.detail || data.title)) || `HTTP ${response.status}`, {
    retryAfter, requestId, status: response.status,
  });
  error.problem = data;
  throw error;
}
