// The day's schedule of one cinema: a lane per auditorium, each showtime drawn from its start
// for its runtime plus the cleaning buffer. New showtimes, repeated daily all or none; a clash
// names the showtime it clashes with and marks it in the lanes.

import { admin } from '../rest.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';
import { dayKey, time } from '../../format.js';
import { localToInstant, minutesInto } from '../zone.js';

// Hours written the way the browser's locale writes them, like the showtimes' times.
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: 'numeric', timeZone: 'UTC' });

export async function render(_params, query, { go, isCurrent }) {
  const cinemas = await admin.get('/api/v1/admin/cinemas');
  if (!isCurrent()) return;
  if (!cinemas.length) {
    show('Schedule', h('h1', {}, 'Schedule'), h('p', { class: 'empty' }, 'Create a cinema first.'), h('a', { href: '#/cinemas' }, 'Cinemas'));
    return;
  }
  const cinema = cinemas.find((c) => c.id === query.get('cinema')) || cinemas[0];
  const tz = cinema.time_zone;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(query.get('date') || '') ? query.get('date') : dayKey(Date.now(), tz);
  const [halls, movies, showtimes] = await Promise.all([
    admin.get(`/api/v1/admin/cinemas/${cinema.id}/auditoriums`),
    admin.get('/api/v1/admin/movies'),
    admin.get(`/api/v1/admin/showtimes?cinema_id=${cinema.id}&date=${day}`),
  ]);
  if (!isCurrent()) return;
  movies.sort((a, b) => a.title.localeCompare(b.title));
  const place = (q) => go(`/schedule?cinema=${q.cinema}&date=${q.date}`);

  const cinemaSelect = h('select', { name: 'cinema', onchange: (e) => place({ cinema: e.target.value, date: day }) },
    cinemas.map((c) => h('option', { value: c.id, selected: c.id === cinema.id }, c.name)));
  const dateInput = h('input', { type: 'date', name: 'date', value: day, onchange: (e) => e.target.value && place({ cinema: cinema.id, date: e.target.value }) });

  // The visible hours: 08:00 to midnight, widened to whatever the day's showtimes need.
  let from = 8 * 60;
  let to = 24 * 60;
  for (const s of showtimes) {
    from = Math.min(from, Math.floor(minutesInto(day, Date.parse(s.starts_at), tz) / 60) * 60);
    to = Math.max(to, Math.ceil(minutesInto(day, Date.parse(s.ends_at), tz) / 60) * 60);
  }
  const pct = (minutes) => `${((minutes - from) / (to - from)) * 100}%`;
  const hours = [];
  for (let m = from; m <= to; m += 60) hours.push(m);

  const lanes = h('div', { class: 'lanes' },
    h('div', { class: 'lane-hours', 'aria-hidden': 'true' }, h('span', { class: 'lane-name' }),
      h('div', { class: 'lane-track' }, hours.map((m) => h('span', { class: 'hour', dataset: { left: pct(m) } },
        hourLabel.format(Date.UTC(2000, 0, 1, Math.floor(m / 60) % 24)))))),
    halls.map((a) => {
      const mine = showtimes.filter((s) => s.auditorium_id === a.id);
      return h('section', { class: 'lane', 'aria-label': `${a.name}: ${mine.length} showtimes` },
        h('h2', { class: 'lane-name' }, a.name),
        h('ul', { class: 'lane-track' }, mine.map((s) => {
          const start = minutesInto(day, Date.parse(s.starts_at), tz);
          const end = minutesInto(day, Date.parse(s.ends_at), tz);
          const runtimeShare = Math.min(100, (s.runtime_minutes / Math.max(1, end - start)) * 100);
          const title = s.movie_title || 'Showtime';
          return h('li', { class: 'block', dataset: { left: pct(start), width: `${((end - start) / (to - from)) * 100}%`, showtime: s.id, share: `${runtimeShare}%` } },
            h('a', { href: `#/sales/${s.id}` },
              h('span', { class: 'block-title' }, title), h('span', { class: 'sr-only' }, ', '),
              h('span', { class: 'block-time' }, `${time(s.starts_at, tz)}–${time(s.ends_at, tz)}`),
              h('span', { class: 'sr-only' }, `, ${s.runtime_minutes} minutes and cleaning; open its sales`)));
        })));
    }));
  // Positions as CSS custom properties: the CSP forbids inline style attributes, not CSSOM.
  lanes.querySelectorAll('[data-left]').forEach((el) => {
    el.style.setProperty('--left', el.dataset.left);
    if (el.dataset.width) el.style.setProperty('--width', el.dataset.width);
    if (el.dataset.share) el.style.setProperty('--share', el.dataset.share);
  });

  // The new showtime.
  const movie = h('select', { name: 'movie', required: true }, movies.map((m) => h('option', { value: m.id }, `${m.title} (${m.runtime_minutes} min)`)));
  const hall = h('select', { name: 'auditorium', required: true }, halls.map((a) => h('option', { value: a.id }, a.name)));
  const start = h('input', { type: 'time', name: 'start', required: true, value: '20:00' });
  const currency = h('input', { name: 'currency', required: true, value: 'EUR', maxlength: 3, pattern: '[A-Z]{3}', size: 4 });
  const price = (name, value) => h('input', { name, type: 'number', min: 0, max: 1000, step: '0.01', required: true, value, inputmode: 'decimal' });
  const standard = price('standard', '11.50');
  const premium = price('premium', '14.90');
  const accessible = price('accessible', '9.00');
  const repeat = h('input', { type: 'checkbox', name: 'repeat' });
  const days = h('input', { type: 'number', name: 'days', min: 2, max: 60, value: 7, inputmode: 'numeric' });
  const messages = h('div', { class: 'messages' });
  const submit = h('button', { type: 'submit' }, 'Add showtime');
  const daysField = field('For how many days (including this one)', days);
  daysField.hidden = true;
  repeat.addEventListener('change', () => {
    submit.textContent = repeat.checked ? 'Add showtimes' : 'Add showtime';
    daysField.hidden = !repeat.checked;
  });

  const form = h('form', { class: 'card schedule-form', novalidate: true },
    h('h2', {}, `New showtime on ${day}`),
    field('Movie', movie), field('Auditorium', hall), field(`Start (${tz})`, start),
    h('fieldset', { class: 'prices' }, h('legend', {}, 'Price per seat'),
      field('Currency', currency), field('Standard', standard), field('Premium', premium), field('Accessible', accessible)),
    h('div', { class: 'field inline' }, repeat, h('label', { for: repeat.id = 'repeat' }, 'Repeat daily')),
    daysField,
    messages, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!movies.length || !halls.length) {
      messages.replaceChildren(notice('error', 'Add a movie and an auditorium first.'));
      return;
    }
    if (!form.reportValidity()) return;
    const minor = (input) => Math.round(Number(input.value) * 100);
    const body = {
      movie_id: movie.value,
      auditorium_id: hall.value,
      starts_at: new Date(localToInstant(day, start.value, tz)).toISOString(),
      prices: { currency: currency.value.trim().toUpperCase(), standard: minor(standard), premium: minor(premium), accessible: minor(accessible) },
    };
    submit.disabled = true;
    messages.replaceChildren();
    try {
      if (repeat.checked) {
        const made = await admin.post('/api/v1/admin/showtimes/series', { ...body, days: Number(days.value) });
        go(`/schedule?cinema=${cinema.id}&date=${day}&added=${made.length}`);
      } else {
        await admin.post('/api/v1/admin/showtimes', body);
        go(`/schedule?cinema=${cinema.id}&date=${day}&added=1`);
      }
    } catch (error) {
      submit.disabled = false;
      const clashes = error.problem?.clashes;
      if (error.status === 409 && Array.isArray(clashes) && clashes.length) {
        lanes.querySelectorAll('.block.clash').forEach((b) => b.classList.remove('clash'));
        for (const c of clashes) lanes.querySelector(`.block[data-showtime="${c.id}"]`)?.classList.add('clash');
        messages.replaceChildren(h('div', { class: 'notice error', role: 'alert' },
          h('p', {}, repeat.checked ? 'Nothing was added: these showtimes are in the way.' : 'Not added: it clashes with another showtime.'),
          h('ul', { class: 'clashes' }, clashes.map((c) => h('li', {},
            c.requested_starts_at ? `The one on ${dayKey(c.requested_starts_at, tz)} clashes with ` : 'Clashes with ',
            h('strong', {}, c.movie_title), ` in ${c.auditorium_name}, ${dayKey(c.starts_at, tz)} ${time(c.starts_at, tz)}–${time(c.ends_at, tz)} (with cleaning).`)))));
      } else {
        messages.replaceChildren(notice('error', error.status === 422 || error.status === 409 ? `Not added: ${error.message}` : describe(error)));
      }
    }
  });

  const added = Number(query.get('added')) || 0;
  show(`Schedule ${day}`, h('h1', {}, `Schedule — ${cinema.name}`),
    h('div', { class: 'filters' }, field('Cinema', cinemaSelect), field('Day', dateInput)),
    added ? notice('success', added === 1 ? 'The showtime was added.' : `${added} showtimes were added.`) : null,
    halls.length ? lanes : h('p', { class: 'empty' }, 'This cinema has no auditoriums yet.'),
    h('p', { class: 'hint' }, 'Each block runs from the start for the runtime; the striped end is the cleaning time before the next show.'),
    form);
}
