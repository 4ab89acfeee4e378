// One booking: the hold's countdown and the card form while it is pending, the tickets once
// it is paid, and what can still be done with it.

import { gql, serverNow } from '../api.js';
import { h, show, notice, field } from '../dom.js';
import { describe } from '../errors.js';
import { check, digits, parseExpiry, TEST_CARDS } from '../card.js';
import { dateTime, money, seatList, seatType, time } from '../format.js';

export const BOOKING_FIELDS = `id status holdExpiresAt createdAt total { amount currency }
  seats { id type price { amount currency } }
  tickets { code seatId qrSvg }
  showtime { id startsAt movie { id title } cinema { name address timeZone } auditorium { name } }`;
const QUERY = `query Booking($id: ID!) { bookingPolicy { refundCutoffMinutes } booking(id: $id) { ${BOOKING_FIELDS} } }`;
const PAY = `mutation Pay($input: PayBookingInput!) { payBooking(input: $input) { ${BOOKING_FIELDS} } }`;
const CANCEL = `mutation Cancel($id: ID!) { cancelBooking(bookingId: $id) { ${BOOKING_FIELDS} } }`;
const HOLD = `mutation Hold($input: CreateBookingInput!) { createBooking(input: $input) { id } }`;

const STATUS_WORDS = {
  PENDING: 'Seats held — waiting for payment',
  CONFIRMED: 'Paid',
  EXPIRED: 'Hold ran out',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
};

export async function render([id], _query, ctx) {
  let data;
  try {
    data = await gql(QUERY, { id }, { auth: true });
  } catch (error) {
    if (!ctx.isCurrent()) return null;
    if (error.code === 'UNAUTHENTICATED') { ctx.go(`/signin?next=${encodeURIComponent(`/booking/${id}`)}`); return null; }
    throw error;
  }
  if (!ctx.isCurrent()) return null;
  const view = new BookingView(data.booking, data.bookingPolicy.refundCutoffMinutes, ctx);
  view.draw();
  return () => view.stop();
}

class BookingView {
  constructor(booking, cutoffMinutes, ctx) {
    this.booking = booking;
    this.cutoff = cutoffMinutes;
    this.ctx = ctx;
    this.timer = null;
    this.messages = h('div', { class: 'messages' });
    this.announcer = h('p', { class: 'sr-only', 'aria-live': 'polite', id: 'hold-announcer' });
    this.announced = new Set();
  }

  stop() { clearInterval(this.timer); }

  say(kind, text) { this.messages.replaceChildren(notice(kind, text)); }

  draw(keepMessages = false) {
    this.stop();
    // A hold that ran out before this page opened shows as run out, before anything is drawn.
    if (this.booking.status === 'PENDING' && !(Date.parse(this.booking.holdExpiresAt) > serverNow())) {
      this.booking = { ...this.booking, status: 'EXPIRED' };
    }
    const b = this.booking;
    const st = b.showtime;
    const tz = st.cinema.timeZone;
    if (!keepMessages) this.messages.replaceChildren();
    const body = {
      PENDING: () => this.pending(),
      CONFIRMED: () => this.confirmed(),
      EXPIRED: () => this.expired(),
    }[b.status] || (() => this.closed());
    show(`Booking — ${st.movie.title}`,
      h('p', { class: 'crumbs' }, h('a', { href: '#/bookings' }, '← My bookings')),
      h('h1', {}, st.movie.title),
      h('p', { class: 'meta' }, `${dateTime(st.startsAt, tz)} · ${st.cinema.name}, ${st.auditorium.name}`),
      h('p', { class: 'meta' }, st.cinema.address),
      h('p', { class: `status ${b.status.toLowerCase()}`, id: 'booking-status' }, STATUS_WORDS[b.status] || b.status),
      h('table', { class: 'seats-table' },
        h('caption', {}, `Seats ${seatList(b.seats.map((s) => s.id))}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Seat'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Price'))),
        h('tbody', {}, b.seats.map((s) => h('tr', {}, h('td', {}, s.id), h('td', {}, seatType(s.type)), h('td', {}, money(s.price))))),
        h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 2 }, 'Total'), h('td', { id: 'booking-total' }, money(b.total))))),
      this.messages, this.announcer, body());
  }

  pending() {
    const expiresAt = Date.parse(this.booking.holdExpiresAt);
    const clock = h('span', { class: 'clock', role: 'timer', 'aria-label': 'Time left to pay' });
    const tick = () => {
      const remaining = expiresAt - serverNow();
      const left = Math.max(0, Math.floor(remaining / 1000));
      clock.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
      for (const [mark, words] of [[120, 'Two minutes left to pay for your seats.'], [30, '30 seconds left to pay for your seats.']]) {
        if (left < mark && left >= mark - 5 && !this.announced.has(mark)) {
          this.announced.add(mark);
          this.announcer.textContent = words;
        }
      }
      if (remaining <= 0) this.runOut();
    };
    tick();
    this.timer = setInterval(tick, 250);
    return h('div', {},
      h('p', { class: 'countdown' }, 'Your seats are held for ', clock, ` (until ${time(expiresAt, this.booking.showtime.cinema.timeZone)}).`),
      this.cardForm(),
      h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => this.cancel() }, 'Release these seats')));
  }

  runOut() {
    this.stop();
    this.booking = { ...this.booking, status: 'EXPIRED' };
    this.draw();
    this.say('warning', describe({ code: 'HOLD_EXPIRED' }));
  }

  cardForm() {
    const number = h('input', { name: 'cardnumber', inputmode: 'numeric', autocomplete: 'cc-number', required: true, maxlength: 23 });
    const expiry = h('input', { name: 'expiry', autocomplete: 'cc-exp', placeholder: 'MM/YY', required: true, maxlength: 7 });
    const cvc = h('input', { name: 'cvc', inputmode: 'numeric', autocomplete: 'cc-csc', required: true, maxlength: 4 });
    const inputs = { number, expiry, cvc };
    const errors = {};
    const fields = Object.entries({ number: 'Card number', expiry: 'Expiry (MM/YY)', cvc: 'Security code (CVC)' })
      .map(([key, label]) => {
        errors[key] = h('span', { class: 'field-error', id: `${key}-error` });
        const f = field(label, inputs[key]);
        f.append(errors[key]);
        return f;
      });
    const pay = h('button', { type: 'submit', class: 'primary' }, `Pay ${money(this.booking.total)}`);
    const form = h('form', { class: 'card pay-form', novalidate: true, 'aria-label': 'Payment' },
      h('h2', {}, 'Pay by card'), fields, pay, this.testCards());
    let idempotencyKey = crypto.randomUUID();
    let lastAttempt = '';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const values = { number: number.value, expiry: expiry.value, cvc: cvc.value };
      const problems = check(values);
      for (const key of Object.keys(inputs)) {
        errors[key].textContent = problems[key] || '';
        inputs[key].setAttribute('aria-invalid', String(Boolean(problems[key])));
        if (problems[key]) inputs[key].setAttribute('aria-describedby', `${key}-error`);
        else inputs[key].removeAttribute('aria-describedby');
      }
      const firstBad = Object.keys(inputs).find((k) => problems[k]);
      if (firstBad) { inputs[firstBad].focus(); return; }
      const { month, year } = parseExpiry(values.expiry);
      const card = { number: digits(values.number), expMonth: month, expYear: year, cvc: values.cvc.trim() };
      // A retry of the same card after a lost answer reuses the key, so it never charges twice.
      const attempt = JSON.stringify(card);
      if (attempt !== lastAttempt) { idempotencyKey = crypto.randomUUID(); lastAttempt = attempt; }
      pay.disabled = true;
      pay.textContent = 'Paying…';
      try {
        const { payBooking } = await gql(PAY, { input: { bookingId: this.booking.id, card, idempotencyKey } }, { auth: true });
        this.booking = payBooking;
        this.draw();
        this.say('success', 'Paid. Enjoy the show! Your tickets are below and on their way by email.');
      } catch (error) {
        pay.disabled = false;
        pay.textContent = `Pay ${money(this.booking.total)}`;
        if (error.code === 'HOLD_EXPIRED') { this.runOut(); return; }
        this.say('error', describe(error));
        if (error.code === 'PAYMENT_DECLINED') { lastAttempt = ''; number.focus(); number.select(); } else pay.focus();
      }
    });
    return form;
  }

  testCards() {
    if (document.body.dataset.testCards !== 'true') return null;
    return h('details', { class: 'test-cards', open: true },
      h('summary', {}, 'Demo: test cards (any future expiry, any CVC)'),
      h('ul', {}, TEST_CARDS.map(([n, what]) => h('li', {}, h('code', {}, n), ` ${what}`))));
  }

  confirmed() {
    const b = this.booking;
    const st = b.showtime;
    const tz = st.cinema.timeZone;
    const until = Date.parse(st.startsAt) - this.cutoff * 60_000;
    const cancel = serverNow() <= until
      ? h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => this.cancel() }, `Cancel and refund ${money(b.total)}`),
        h('span', { class: 'hint' }, ` Possible until ${dateTime(until, tz)}.`))
      : h('p', { class: 'hint', id: 'refund-policy' }, `This booking can no longer be cancelled: refunds end ${cutoffWords(this.cutoff)} before the show (at ${dateTime(until, tz)}).`);
    return h('div', {},
      h('h2', {}, `Your ${b.tickets.length === 1 ? 'ticket' : 'tickets'}`),
      h('ul', { class: 'tickets' }, b.tickets.map((t) => h('li', { class: 'ticket' },
        h('img', { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(t.qrSvg)}`, alt: `QR code of ticket ${t.code} for seat ${t.seatId}`, class: 'qr', width: 160, height: 160 }),
        h('div', {},
          h('p', { class: 'ticket-seat' }, `Seat ${t.seatId}`),
          h('p', {}, st.movie.title),
          h('p', {}, dateTime(st.startsAt, tz)),
          h('p', {}, `${st.cinema.name}, ${st.auditorium.name}`),
          h('p', { class: 'meta' }, st.cinema.address),
          h('p', { class: 'meta' }, `Ticket ${t.code}`))))),
      cancel);
  }

  expired() {
    const again = h('button', { type: 'button', class: 'primary' }, 'Hold the same seats again');
    again.addEventListener('click', async () => {
      again.disabled = true;
      try {
        const { createBooking } = await gql(HOLD, {
          input: { showtimeId: this.booking.showtime.id, seatIds: this.booking.seats.map((s) => s.id) },
        }, { auth: true });
        this.ctx.go(`/booking/${createBooking.id}`);
      } catch (error) {
        again.disabled = false;
        this.say('error', describe(error));
      }
    });
    return h('div', {},
      h('p', {}, 'The hold on these seats ran out before payment, and nothing was charged.'),
      h('p', {}, again, ' ', h('a', { href: `#/showtime/${this.booking.showtime.id}` }, 'or choose other seats')));
  }

  closed() {
    const b = this.booking;
    const words = b.status === 'REFUNDED'
      ? `Cancelled and refunded: ${money(b.total)} is on its way back to your card.`
      : 'Cancelled. The seats were released and nothing was charged.';
    return h('p', {}, words, ' ', h('a', { href: `#/showtime/${b.showtime.id}` }, 'Book this showtime again'));
  }

  async cancel() {
    const refund = this.booking.status === 'CONFIRMED';
    if (refund && !window.confirm(`Cancel this booking and refund ${money(this.booking.total)}?`)) return;
    try {
      const { cancelBooking } = await gql(CANCEL, { id: this.booking.id }, { auth: true });
      this.booking = cancelBooking;
      this.draw();
      this.say('success', refund ? 'Your booking is cancelled and refunded.' : 'Your seats were released.');
    } catch (error) {
      this.say('error', describe(error));
    }
  }
}

function cutoffWords(minutes) {
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minutes`;
}
