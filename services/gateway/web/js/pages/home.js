// Now showing: the movies with showtimes on the chosen day, at the chosen cinema or any.

import { gql, serverNow } from '../api.js';
import { h, show } from '../dom.js';
import { dayKey, dayLabel, runtime, time, week } from '../format.js';
import { poster } from '../poster.js';

const QUERY = `query NowShowing {
  cinemas { id name timeZone }
  movies { id title rating runtimeMinutes genres posterUrl }
  showtimes { id startsAt movie { id } cinema { id } auditorium { name } }
}`;

/** The filter that caused this render keeps the focus (arrow keys in the list re-render). */
let refocus = null;

export async function render(_params, query, { go, isCurrent }) {
  const data = await gql(QUERY);
  if (!isCurrent()) return;
  const cinemas = data.cinemas;
  const cinemaId = cinemas.some((c) => c.id === query.get('cinema')) ? query.get('cinema') : '';
  const zone = (cinemas.find((c) => c.id === cinemaId) || cinemas[0] || {}).timeZone || undefined;
  const days = week(zone, serverNow());
  const day = days.includes(query.get('day')) ? query.get('day') : days[0];
  const zones = new Map(cinemas.map((c) => [c.id, c.timeZone]));
  const names = new Map(cinemas.map((c) => [c.id, c.name]));

  const upcoming = data.showtimes.filter((s) => Date.parse(s.startsAt) > serverNow()
    && (!cinemaId || s.cinema.id === cinemaId)
    && dayKey(s.startsAt, zones.get(s.cinema.id)) === day);
  const byMovie = new Map();
  for (const s of upcoming) {
    if (!byMovie.has(s.movie.id)) byMovie.set(s.movie.id, []);
    byMovie.get(s.movie.id).push(s);
  }
  const movies = data.movies.filter((m) => byMovie.has(m.id));

  const link = (c, d) => `#/?${new URLSearchParams({ ...(c ? { cinema: c } : {}), day: d })}`;
  const select = h('select', { id: 'cinema-filter' },
    h('option', { value: '' }, 'All cinemas'),
    cinemas.map((c) => h('option', { value: c.id, selected: c.id === cinemaId }, c.name)));
  select.addEventListener('change', () => {
    refocus = 'cinema-filter';
    go(link(select.value, day).slice(1));
  });

  const filters = h('div', { class: 'filters' },
    h('div', { class: 'field inline' }, h('label', { for: 'cinema-filter' }, 'Cinema'), select),
    h('nav', { class: 'days', 'aria-label': 'Day' },
      days.map((d) => h('a', { href: link(cinemaId, d), 'aria-current': d === day ? 'page' : undefined },
        dayLabel(d, days[0])))));

  const grid = movies.length
    ? h('ul', { class: 'movies' }, movies.map((m) => movieCard(m, byMovie.get(m.id), zones, cinemaId ? null : names)))
    : h('p', { class: 'empty' }, 'Nothing is showing on this day. Try another day or cinema.');
  show('Now showing', h('h1', {}, 'Now showing'), filters, grid);
  if (refocus) document.getElementById(refocus)?.focus();
  refocus = null;
}

function movieCard(movie, showtimes, zones, names) {
  const times = showtimes.sort((a, b) => a.startsAt.localeCompare(b.startsAt)).slice(0, 6);
  return h('li', { class: 'movie-card' },
    h('a', { href: `#/movie/${movie.id}`, class: 'poster-link', tabindex: '-1', 'aria-hidden': 'true' }, poster(movie)),
    h('div', { class: 'movie-info' },
      h('h2', {}, h('a', { href: `#/movie/${movie.id}` }, movie.title)),
      h('p', { class: 'meta' }, [movie.rating, runtime(movie.runtimeMinutes), movie.genres.join(', ')].filter(Boolean).join(' · ')),
      h('ul', { class: 'times', 'aria-label': `Showtimes of ${movie.title}` },
        times.map((s) => h('li', {}, h('a', { class: 'time', href: `#/showtime/${s.id}` },
          time(s.startsAt, zones.get(s.cinema.id)), h('small', {}, ` ${names ? `${names.get(s.cinema.id)}, ` : ''}${s.auditorium.name}`)))))));
}
