// The catalog's movies.

import { admin } from '../rest.js';
import { h, show } from '../../dom.js';
import { runtime } from '../../format.js';
import { poster } from '../../poster.js';

export async function render(_params, _query, { isCurrent }) {
  const movies = await admin.get('/api/v1/admin/movies');
  if (!isCurrent()) return;
  movies.sort((a, b) => a.title.localeCompare(b.title));
  show('Movies', h('h1', {}, 'Movies'),
    h('p', {}, h('a', { class: 'button', href: '#/movies/new' }, 'Add a movie')),
    movies.length
      ? h('ul', { class: 'movies' }, movies.map((m) => h('li', { class: 'movie-card' },
        poster({ title: m.title, posterUrl: m.poster_url }),
        h('div', { class: 'movie-info' },
          h('h2', {}, h('a', { href: `#/movies/${m.id}` }, m.title)),
          h('p', { class: 'meta' }, [m.rating, runtime(m.runtime_minutes), m.genres.join(', ')].filter(Boolean).join(' · ')),
          h('p', { class: 'meta' }, m.release_date ? `Released ${m.release_date}` : 'No release date')))))
      : h('p', { class: 'empty' }, 'No movies yet.'));
}
