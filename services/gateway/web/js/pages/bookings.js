// My bookings: upcoming shows first (soonest first), then past ones (latest first).

import { gql, serverNow } from '../api.js';
import { h, show } from '../dom.js';
import { dateTime, money, seatList } from '../format.js';

const QUERY = `query Mine { myBookings { id status total { amount currency } seats { id }
  showtime { id startsAt movie { title } cinema { name timeZone } } } }`;

const STATUS = { PENDING: 'Awaiting payment', CONFIRMED: 'Paid', EXPIRED: 'Hold ran out', CANCELLED: 'Cancelled', REFUNDED: 'Refunded' };

export async function render(_p, _q, { go, isCurrent }) {
  let data;
  try {
    data = await gql(QUERY, {}, { auth: true });
  } catch (error) {
    if (!isCurrent()) return;
    if (error.code === 'UNAUTHENTICATED') { go('/signin?next=%2Fbookings'); return; }
    throw error;
  }
  if (!isCurrent()) return;
  const now = serverNow();
  const list = data.myBookings.filter((b) => b.showtime);
  const upcoming = list.filter((b) => Date.parse(b.showtime.startsAt) >= now)
    .sort((a, b) => a.showtime.startsAt.localeCompare(b.showtime.startsAt));
  const past = list.filter((b) => Date.parse(b.showtime.startsAt) < now)
    .sort((a, b) => b.showtime.startsAt.localeCompare(a.showtime.startsAt));
  const section = (title, items) => h('section', {}, h('h2', {}, title),
    items.length ? h('ul', { class: 'booking-list' }, items.map(item)) : h('p', { class: 'empty' }, 'None.'));
  show('My bookings', h('h1', {}, 'My bookings'),
    list.length ? [section('Upcoming', upcoming), section('Past', past)]
      : h('p', { class: 'empty' }, 'No bookings yet. ', h('a', { href: '#/' }, 'See what is showing')));
}

function item(b) {
  const st = b.showtime;
  return h('li', { class: 'booking-item' },
    h('a', { href: `#/booking/${b.id}` },
      h('strong', {}, st.movie.title),
      h('span', {}, `${dateTime(st.startsAt, st.cinema.timeZone)} · ${st.cinema.name}`),
      h('span', {}, `Seats ${seatList(b.seats.map((s) => s.id))} · ${money(b.total)}`),
      h('span', { class: `status ${b.status.toLowerCase()}` }, STATUS[b.status] || b.status)));
}
