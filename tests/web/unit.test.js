// The shop's pure modules, in Node: card checks and error words.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, luhn, parseExpiry, expired } from '../../services/gateway/web/js/card.js';
import { ApiError, describe } from '../../services/gateway/web/js/errors.js';
import { seatList, sum } from '../../services/gateway/web/js/format.js';

test('Luhn accepts the test cards and refuses a wrong check digit', () => {
  for (const n of ['4242424242424242', '4000000000000002', '4000000000009995', '4000000000000119']) assert.ok(luhn(n), n);
  assert.equal(luhn('4242424242424241'), false);
  assert.equal(luhn('42424242'), false);
  assert.equal(luhn('4242x24242424242'), false);
});

test('expiry is MM/YY or MM/YYYY and good through its month', () => {
  assert.deepEqual(parseExpiry('07/31'), { month: 7, year: 2031 });
  assert.deepEqual(parseExpiry(' 7 / 2031 '), { month: 7, year: 2031 });
  assert.equal(parseExpiry('13/30'), null);
  assert.equal(parseExpiry('0730'), null);
  const now = new Date(2026, 11, 15);
  assert.equal(expired({ month: 12, year: 2026 }, now), false);
  assert.equal(expired({ month: 11, year: 2026 }, now), true);
  assert.equal(expired({ month: 1, year: 2025 }, now), true);
});

test('a card form names each problem', () => {
  assert.deepEqual(check({ number: '4242 4242 4242 4242', expiry: '12/39', cvc: '123' }), {});
  const problems = check({ number: '4242 4242 4242 4241', expiry: '01/20', cvc: '12' });
  assert.deepEqual(Object.keys(problems).sort(), ['cvc', 'expiry', 'number']);
  assert.match(problems.expiry, /expired/);
});

test('every documented error code has words, with the seats, the wait or the request id', () => {
  assert.match(describe(new ApiError('SEATS_UNAVAILABLE', 'x', { seats: ['F-12', 'F-11'] })), /seats F-11, F-12 were just taken/);
  assert.match(describe(new ApiError('SEATS_UNAVAILABLE', 'x', { seats: ['F-12'] })), /seat F-12 was just taken/);
  assert.match(describe(new ApiError('HOLD_EXPIRED', 'x')), /run out/);
  assert.match(describe(new ApiError('PAYMENT_DECLINED', 'insufficient funds')), /declined for insufficient funds/);
  assert.match(describe(new ApiError('RATE_LIMITED', 'x', { retryAfter: 7 })), /wait 7 seconds/);
  assert.match(describe(new ApiError('UNAUTHENTICATED', 'x')), /sign in/);
  assert.match(describe(new ApiError('INTERNAL', 'x', { requestId: 'req-42' })), /request id req-42/);
  assert.match(describe(new ApiError('NETWORK', 'x')), /cannot be reached/);
});

test('seat lists sort by row then number, totals add minor units', () => {
  assert.equal(seatList(['F-10', 'F-9', 'E-12']), 'E-12, F-9, F-10');
  assert.deepEqual(sum([{ amount: 1150, currency: 'EUR' }, { amount: 1490, currency: 'EUR' }]), { amount: 2640, currency: 'EUR' });
});

test('the week is seven calendar days, also across a daylight-saving change', async () => {
  const { week } = await import('../../services/gateway/web/js/format.js');
  // Berlin leaves summer time on 2026-10-25: a 25-hour day.
  const days = week('Europe/Berlin', Date.UTC(2026, 9, 22, 22, 30));
  assert.deepEqual(days, ['2026-10-23', '2026-10-24', '2026-10-25', '2026-10-26', '2026-10-27', '2026-10-28', '2026-10-29']);
});
