// The day's sales of one cinema: per showtime and in total.

import { admin } from '../rest.js';
import { h, show, field } from '../../dom.js';
import { dayKey, money, time } from '../../format.js';

export async function render(_params, query, { go, isCurrent }) {
  const cinemas = await admin.get('/api/v1/admin/cinemas');
  if (!isCurrent()) return;
  if (!cinemas.length) { show('Sales', h('h1', {}, 'Sales'), h('p', { class: 'empty' }, 'No cinemas yet.')); return; }
  const cinema = cinemas.find((c) => c.id === query.get('cinema')) || cinemas[0];
  const tz = cinema.time_zone;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(query.get('date') || '') ? query.get('date') : dayKey(Date.now(), tz);
  const sales = await admin.get(`/api/v1/admin/sales?cinema_id=${cinema.id}&date=${day}`);
  if (!isCurrent()) return;
  const place = (q) => go(`/sales?cinema=${q.cinema}&date=${q.date}`);
  const t = sales.totals;
  show(`Sales ${day}`, h('h1', {}, `Sales — ${cinema.name}`),
    h('div', { class: 'filters' },
      field('Cinema', h('select', { onchange: (e) => place({ cinema: e.target.value, date: day }) },
        cinemas.map((c) => h('option', { value: c.id, selected: c.id === cinema.id }, c.name)))),
      field('Day', h('input', { type: 'date', value: day, onchange: (e) => e.target.value && place({ cinema: cinema.id, date: e.target.value }) }))),
    h('dl', { class: 'totals' },
      h('div', {}, h('dt', {}, 'Revenue'), h('dd', {}, money(t.revenue))),
      h('div', {}, h('dt', {}, 'Sold'), h('dd', {}, String(t.sold))),
      h('div', {}, h('dt', {}, 'Held'), h('dd', {}, String(t.held))),
      h('div', {}, h('dt', {}, 'Free'), h('dd', {}, `${t.free} of ${t.capacity}`))),
    sales.showtimes.length
      ? h('table', { class: 'seats-table sales-table' },
        h('caption', {}, `Showtimes on ${day}`),
        h('thead', {}, h('tr', {}, ['Start', 'Movie', 'Auditorium', 'Sold', 'Held', 'Free', 'Revenue'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, sales.showtimes.map((s) => h('tr', {},
          h('td', {}, time(s.starts_at, tz)),
          h('td', {}, h('a', { href: `#/sales/${s.showtime_id}` }, s.movie_title)),
          h('td', {}, s.auditorium_name), h('td', {}, String(s.sold)), h('td', {}, String(s.held)),
          h('td', {}, String(s.free)), h('td', {}, money(s.revenue))))))
      : h('p', { class: 'empty' }, 'No showtimes on this day.'));
}
