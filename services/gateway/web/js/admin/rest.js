// The staff REST API (/api/v1/admin/…) with the in-memory access token: JSON in and out,
// RFC 9457 problems turned into ApiError with the problem attached (clashes, details).

import { session } from '../auth.js';
import { ApiError } from '../errors.js';

const CODES = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 429: 'RATE_LIMITED' };

async function send(method, path, { json, body, type } = {}, retried = false) {
  const headers = { accept: 'application/json' };
  const token = await session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let payload;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (body !== undefined) {
    headers['content-type'] = type;
    payload = body;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'omit' });
  } catch {
    throw new ApiError('NETWORK', 'network error');
  }
  if (response.status === 401 && !retried && (await session.renew())) {
    return send(method, path, { json, body, type }, true);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const code = (data && data.code) || CODES[response.status]
    || (response.status >= 500 ? 'INTERNAL' : 'BAD_USER_INPUT');
  const error = new ApiError(CODES[response.status] || (response.status >= 500 ? 'INTERNAL' : 'BAD_USER_INPUT'),
    (data && (data.detail || data.title)) || `HTTP ${response.status}`, {
      retryAfter: Number(response.headers.get('retry-after')) || null,
      requestId: response.headers.get('x-request-id'),
      status: response.status,
    });
  error.problem = data || {};
  error.problemCode = code;
  throw error;
}

export const admin = {
  get: (path) => send('GET', path),
  post: (path, json) => send('POST', path, { json }),
  put: (path, json) => send('PUT', path, { json }),
  del: (path) => send('DELETE', path),
  upload: (path, file) => send('PUT', path, { body: file, type: file.type }),
};
