// A movie: its synopsis and every upcoming showtime, by cinema and day, in the cinema's time.

import { gql, serverNow } from '../api.js';
import { h, show } from '../dom.js';
import { dayKey, dayLabel, runtime, time } from '../format.js';
import { poster } from '../poster.js';

const QUERY = `query Movie($id: ID!) {
  movie(id: $id) {
    id title rating runtimeMinutes genres synopsis posterUrl releaseDate
    showtimes { id startsAt auditorium { name } cinema { id name address timeZone } }
  }
}`;

export async function render([id], _query, { isCurrent }) {
  const { movie } = await gql(QUERY, { id });
  if (!isCurrent()) return;
  if (!movie) {
    show('Not found', h('h1', {}, 'This movie is not showing'), h('p', {}, h('a', { href: '#/' }, 'See what is showing')));
    return;
  }
  const upcoming = movie.showtimes.filter((s) => Date.parse(s.startsAt) > serverNow())
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const cinemas = new Map();
  for (const s of upcoming) {
    if (!cinemas.has(s.cinema.id)) cinemas.set(s.cinema.id, { cinema: s.cinema, days: new Map() });
    const key = dayKey(s.startsAt, s.cinema.timeZone);
    const days = cinemas.get(s.cinema.id).days;
    if (!days.has(key)) days.set(key, []);
    days.get(key).push(s);
  }
  const schedule = cinemas.size
    ? [...cinemas.values()].map(({ cinema, days }) => h('section', { class: 'cinema-times' },
      h('h3', {}, cinema.name),
      h('p', { class: 'meta' }, cinema.address, ' · times in ', cinema.timeZone),
      h('dl', { class: 'day-times' }, [...days].map(([key, list]) => [
        h('dt', {}, dayLabel(key, dayKey(serverNow(), cinema.timeZone))),
        h('dd', {}, h('ul', { class: 'times' }, list.map((s) => h('li', {},
          h('a', { class: 'time', href: `#/showtime/${s.id}` },
            time(s.startsAt, cinema.timeZone), h('small', {}, ` ${s.auditorium.name}`)))))),
      ]))))
    : [h('p', { class: 'empty' }, 'No upcoming showtimes.')];
  show(movie.title,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Now showing')),
    h('article', { class: 'movie-page' },
      poster(movie, { size: 'large' }),
      h('div', {},
        h('h1', {}, movie.title),
        h('p', { class: 'meta' }, [movie.rating, runtime(movie.runtimeMinutes), movie.genres.join(', '),
          movie.releaseDate ? `released ${movie.releaseDate}` : null].filter(Boolean).join(' · ')),
        h('p', { class: 'synopsis' }, movie.synopsis))),
    h('h2', {}, 'Showtimes'), schedule);
}
