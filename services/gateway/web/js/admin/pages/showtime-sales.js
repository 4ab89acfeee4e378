// One showtime's sales while it sells: the staff seat map (held and sold told apart) follows
// the same live stream as the customers' map, and the figures are fetched again a moment after
// each change.

import { gql } from '../../api.js';
import { admin } from '../rest.js';
import { h, show } from '../../dom.js';
import { dateTime, dayKey, money } from '../../format.js';
import { subscribe } from '../../live.js';
import { SeatMap } from '../../seatmap.js';

const SEAT_MAP = 'seatMap { rows { label gapsAfter seats { id number type status price { amount currency } } } }';
const QUERY = `query Showtime($id: ID!) { showtime(id: $id) { id startsAt movie { title } cinema { id name timeZone } auditorium { name } ${SEAT_MAP} } }`;
const RESYNC = `query SeatMap($id: ID!) { showtime(id: $id) { id ${SEAT_MAP} } }`;
const UPDATES = 'subscription Seats($id: ID!) { seatMapUpdates(showtimeId: $id) { seatId status version } }';

export async function render([id], _query, { isCurrent }) {
  let map = null;
  const early = [];
  let refetch = null;
  const figures = h('dl', { class: 'totals', 'aria-live': 'polite', id: 'sales-figures' });
  const draw = (s) => figures.replaceChildren(
    h('div', {}, h('dt', {}, 'Sold'), h('dd', { dataset: { figure: 'sold' } }, String(s.sold))),
    h('div', {}, h('dt', {}, 'Held'), h('dd', { dataset: { figure: 'held' } }, String(s.held))),
    h('div', {}, h('dt', {}, 'Free'), h('dd', { dataset: { figure: 'free' } }, `${s.free} of ${s.capacity}`)),
    h('div', {}, h('dt', {}, 'Revenue'), h('dd', { dataset: { figure: 'revenue' } }, money(s.revenue))));
  const reload = () => {
    clearTimeout(refetch);
    refetch = setTimeout(async () => {
      const s = await admin.get(`/api/v1/admin/showtimes/${id}/sales`).catch(() => null);
      if (s) draw(s);
    }, 250);
  };
  delete document.documentElement.dataset.seatmapLive;
  const live = subscribe(UPDATES, { id }, {
    onData: ({ seatMapUpdates: u }) => {
      if (map) map.update(u.seatId, u.status, u.version);
      else early.push(u);
      reload();
    },
    onResync: async () => {
      const asked = performance.now();
      const data = await gql(RESYNC, { id }).catch(() => null);
      if (map && data?.showtime) map.resync(data.showtime.seatMap.rows, asked);
      reload();
      document.documentElement.dataset.seatmapLive = 'ready';
    },
  });
  try {
    const [data, sales] = await Promise.all([gql(QUERY, { id }), admin.get(`/api/v1/admin/showtimes/${id}/sales`)]);
    if (!isCurrent()) { live.close(); return null; }
    const st = data.showtime;
    map = new SeatMap(st.seatMap.rows, { readOnly: true });
    early.forEach((u) => map.update(u.seatId, u.status, u.version));
    draw(sales);
    const tz = st.cinema.timeZone;
    show(`Sales of ${st.movie.title}`,
      h('p', { class: 'crumbs' }, h('a', { href: `#/sales?cinema=${st.cinema.id}&date=${dayKey(st.startsAt, tz)}` }, '← Sales of the day')),
      h('h1', {}, st.movie.title),
      h('p', { class: 'meta' }, `${dateTime(st.startsAt, tz)} · ${st.cinema.name}, ${st.auditorium.name}`),
      figures, map.element);
  } catch (error) {
    live.close();
    throw error;
  }
  return () => { clearTimeout(refetch); live.close(); };
}
