// Finding a booking for a customer at the desk: by booking id, ticket code or email.

import { gql } from '../../api.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';
import { dateTime, money, seatList } from '../../format.js';

const FIND = `query Find($q: String!) { findBookings(query: $q) {
  id status createdAt customerEmail customerName total { amount currency } seats { id }
  showtime { startsAt movie { title } cinema { name timeZone } } } }`;

export async function render(_params, query, { go, isCurrent }) {
  const q = (query.get('q') || '').trim();
  const input = h('input', { type: 'search', name: 'q', value: q, required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'search', role: 'search' },
    field('Booking id, ticket code or customer email', input), h('button', { type: 'submit' }, 'Find'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) go(`/bookings?q=${encodeURIComponent(input.value.trim())}`);
  });
  let results = null;
  if (q) {
    try {
      const data = await gql(FIND, { q }, { auth: true });
      if (!isCurrent()) return;
      const found = data.findBookings;
      results = found.length
        ? h('ul', { class: 'booking-list' }, found.map((b) => {
          const tz = b.showtime?.cinema?.timeZone;
          return h('li', { class: 'booking-item' }, h('a', { href: `#/bookings/${b.id}` },
            h('strong', {}, `${b.showtime?.movie?.title || 'Showtime'} — ${b.customerName} <${b.customerEmail}>`),
            h('span', { class: `status ${b.status.toLowerCase()}` }, b.status),
            h('span', { class: 'meta' }, `${b.showtime ? dateTime(b.showtime.startsAt, tz) : ''} · ${b.showtime?.cinema?.name || ''} · seats ${seatList(b.seats.map((s) => s.id))} · ${money(b.total)}`),
            h('span', { class: 'meta' }, `Booking ${b.id}`)));
        }))
        : h('p', { class: 'empty', role: 'status' }, `No booking matches “${q}”.`);
    } catch (error) {
      if (!isCurrent()) return;
      results = notice('error', describe(error));
    }
  }
  show('Bookings', h('h1', {}, 'Find a booking'), form, results);
  if (!q) input.focus();
}
