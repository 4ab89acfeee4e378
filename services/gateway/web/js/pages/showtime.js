// A showtime's live seat map: choose seats, see the total, hold them.

import { gql } from '../api.js';
import { session } from '../auth.js';
import { h, show, notice } from '../dom.js';
import { describe } from '../errors.js';
import { dateTime, seatList } from '../format.js';
import { subscribe } from '../live.js';
import { SeatMap } from '../seatmap.js';

const SEAT_MAP = 'seatMap { rows { label gapsAfter seats { id number type status price { amount currency } } } }';
const QUERY = `query Showtime($id: ID!) {
  bookingPolicy { maxSeatsPerBooking }
  showtime(id: $id) {
    id startsAt endsAt
    movie { id title rating runtimeMinutes }
    cinema { id name address timeZone }
    auditorium { id name }
    ${SEAT_MAP}
  }
}`;
const RESYNC = `query SeatMap($id: ID!) { showtime(id: $id) { id ${SEAT_MAP} } }`;
const UPDATES = `subscription Seats($id: ID!) { seatMapUpdates(showtimeId: $id) { seatId status version } }`;
const HOLD = `mutation Hold($input: CreateBookingInput!) { createBooking(input: $input) { id status holdExpiresAt } }`;

export async function render([id], query, { go, isCurrent }) {
  let map = null;
  let mapShown;
  const mapReady = new Promise((resolve) => { mapShown = resolve; });
  const early = [];
  delete document.documentElement.dataset.seatmapLive;
  const live = subscribe(UPDATES, { id }, {
    onData: ({ seatMapUpdates: u }) => {
      if (map) map.update(u.seatId, u.status, u.version);
      else early.push(u);
    },
    onResync: async () => {
      await mapReady;
      const asked = performance.now();
      const data = await gql(RESYNC, { id }).catch(() => null);
      if (map && data?.showtime) map.resync(data.showtime.seatMap.rows, asked);
      // Tests wait for this: the map and the subscription agree from here on.
      document.documentElement.dataset.seatmapLive = 'ready';
    },
  });
  let data;
  try {
    data = await gql(QUERY, { id });
  } catch (error) {
    live.close();
    throw error;
  }
  if (!isCurrent()) { live.close(); return null; }
  const st = data.showtime;
  if (!st) {
    live.close();
    show('Not found', h('h1', {}, 'This showtime does not exist'), h('p', {}, h('a', { href: '#/' }, 'See what is showing')));
    return null;
  }
  const max = data.bookingPolicy.maxSeatsPerBooking;
  const messages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const say = (kind, text) => messages.replaceChildren(notice(kind, text));
  const summary = h('p', { class: 'summary', 'aria-live': 'polite', id: 'selection-summary' });
  const hold = h('button', { type: 'button', class: 'primary', disabled: true }, 'Hold seats');
  const preselect = (query.get('seats') || '').split(',').filter(Boolean);
  // Seats of our own hold in flight: their HELD updates are ours, not someone else's.
  let holding = new Set();

  const onSelection = (ids) => {
    summary.textContent = map ? map.summary() : '';
    hold.disabled = ids.length === 0;
    hold.textContent = ids.length ? `Hold ${ids.length} ${ids.length === 1 ? 'seat' : 'seats'}` : 'Hold seats';
    const q = ids.length ? `?seats=${ids.join(',')}` : '';
    history.replaceState(null, '', `#/showtime/${id}${q}`);
  };
  map = new SeatMap(st.seatMap.rows, {
    maxSeats: max,
    selected: preselect,
    onSelection,
    onTaken: (taken) => {
      const ids = taken.filter((s) => !holding.has(s));
      if (ids.length) say('warning', `${ids.length === 1 ? 'Seat' : 'Seats'} ${seatList(ids)} ${ids.length === 1 ? 'was' : 'were'} just taken by someone else and left your selection.`);
    },
    onLimit: () => say('warning', `You can choose up to ${max} seats in one booking.`),
  });
  early.forEach((u) => map.update(u.seatId, u.status, u.version));
  mapShown();
  onSelection(map.selection());

  hold.addEventListener('click', async () => {
    const seatIds = map.selection();
    if (!session.user) {
      go(`/signin?next=${encodeURIComponent(`/showtime/${id}?seats=${seatIds.join(',')}`)}`);
      return;
    }
    hold.disabled = true;
    hold.textContent = 'Holding…';
    holding = new Set(seatIds);
    try {
      const { createBooking } = await gql(HOLD, { input: { showtimeId: id, seatIds } }, { auth: true });
      go(`/booking/${createBooking.id}`);
    } catch (error) {
      if (error.code === 'SEATS_UNAVAILABLE') error.seats.forEach((s) => map.update(s, 'HELD'));
      if (error.code === 'UNAUTHENTICATED') {
        go(`/signin?next=${encodeURIComponent(`/showtime/${id}?seats=${seatIds.join(',')}`)}`);
        return;
      }
      say('error', describe(error));
      holding = new Set();
      // The seats of a failed hold that are still free stay chosen.
      for (const s of seatIds) if (map.choosable(s) && !map.selected.has(s)) map.toggle(s);
      onSelection(map.selection());
      if (!hold.disabled) hold.focus();
      else map.resetFocus();
    }
  });

  const tz = st.cinema.timeZone;
  show(`${st.movie.title} — seats`,
    h('p', { class: 'crumbs' }, h('a', { href: `#/movie/${st.movie.id}` }, `← ${st.movie.title}`)),
    h('h1', {}, st.movie.title),
    h('p', { class: 'meta' }, `${dateTime(st.startsAt, tz)} · ${st.cinema.name}, ${st.auditorium.name}`),
    h('p', { class: 'meta' }, st.cinema.address),
    messages,
    map.element,
    h('div', { class: 'checkout-bar' }, summary, hold),
    h('p', { class: 'hint' }, `Choose up to ${max} seats. Use the arrow keys to move between seats and Space to choose.`));
  return () => live.close();
}
