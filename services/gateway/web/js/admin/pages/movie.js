// One movie: its details and its poster, uploaded from the browser. The type and size are
// checked here for a quick answer and again by the cinema service, which stores the image and
// serves it through the gateway at /api/v1/posters/{id}.

import { admin } from '../rest.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';
import { poster } from '../../poster.js';

export const POSTER_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
export const POSTER_MAX_BYTES = 2 * 1024 * 1024;

function refusal(error) {
  if (error.status === 413) return 'Not saved: the poster is too big (at most 2 MB).';
  return [409, 415, 422].includes(error.status) ? `Not saved: ${error.message}` : describe(error);
}

export async function render([id], query, { go, isCurrent }) {
  const movie = id === 'new' ? null : await admin.get(`/api/v1/admin/movies/${id}`);
  if (!isCurrent()) return;
  const v = movie || { title: '', runtime_minutes: 100, rating: '', genres: [], synopsis: '', poster_url: '', release_date: null };
  const title = h('input', { name: 'title', required: true, maxlength: 300, value: v.title });
  const runtimeInput = h('input', { name: 'runtime', type: 'number', min: 1, max: 900, required: true, value: v.runtime_minutes, inputmode: 'numeric' });
  const rating = h('input', { name: 'rating', maxlength: 20, value: v.rating });
  const genres = h('input', { name: 'genres', value: v.genres.join(', ') });
  const synopsis = h('textarea', { name: 'synopsis', rows: 5, maxlength: 5000 }, v.synopsis);
  const release = h('input', { name: 'release', type: 'date', value: v.release_date || '' });
  const file = h('input', { name: 'poster', type: 'file', accept: POSTER_TYPES.join(',') });
  const current = h('div', { class: 'poster-current' }, poster({ title: v.title || 'New movie', posterUrl: v.poster_url, rating: v.rating }, { size: 'large' }));
  const refused = movie && query.get('refused');
  const messages = h('div', { class: 'messages' }, refused ? notice('error', refused) : null);
  const submit = h('button', { type: 'submit' }, movie ? 'Save movie' : 'Add movie');

  const form = h('form', { class: 'card movie-form', novalidate: true },
    field('Title', title), field('Runtime (minutes)', runtimeInput), field('Rating', rating, 'e.g. PG-13, FSK 12'),
    field('Genres', genres, 'Comma-separated, e.g. drama, thriller'), field('Synopsis', synopsis),
    field('Release date', release),
    field('Poster image', file, 'PNG, JPEG or WebP, at most 2 MB'),
    messages, submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const image = file.files[0];
    if (image && !POSTER_TYPES.includes(image.type)) {
      messages.replaceChildren(notice('error', 'The poster must be a PNG, JPEG or WebP image.'));
      file.focus();
      return;
    }
    if (image && image.size > POSTER_MAX_BYTES) {
      messages.replaceChildren(notice('error', `The poster is ${(image.size / 1048576).toFixed(1)} MB; at most 2 MB please.`));
      file.focus();
      return;
    }
    submit.disabled = true;
    const body = {
      title: title.value.trim(),
      runtime_minutes: Number(runtimeInput.value),
      rating: rating.value.trim(),
      genres: genres.value.split(',').map((g) => g.trim()).filter(Boolean),
      synopsis: synopsis.value.trim(),
      poster_url: v.poster_url,
      release_date: release.value || null,
    };
    try {
      let saved = movie
        ? await admin.put(`/api/v1/admin/movies/${movie.id}`, body)
        : await admin.post('/api/v1/admin/movies', body);
      if (image && !movie) {
        // The movie exists now: a refused poster is reported on its own page, not as a new one.
        try {
          await admin.upload(`/api/v1/admin/movies/${saved.id}/poster`, image);
        } catch (error) {
          go(`/movies/${saved.id}?refused=${encodeURIComponent(refusal(error))}`);
          return;
        }
      } else if (image) {
        saved = await admin.upload(`/api/v1/admin/movies/${saved.id}/poster`, image);
      }
      if (movie) {
        Object.assign(v, saved);
        current.replaceChildren(poster({ title: saved.title, posterUrl: saved.poster_url, rating: saved.rating }, { size: 'large' }));
        file.value = '';
        messages.replaceChildren(notice('success', 'Saved.'));
        submit.disabled = false;
      } else {
        go(`/movies/${saved.id}`);
      }
    } catch (error) {
      messages.replaceChildren(notice('error', refusal(error)));
      submit.disabled = false;
    }
  });

  show(movie ? movie.title : 'New movie',
    h('p', { class: 'crumbs' }, h('a', { href: '#/movies' }, '← Movies')),
    h('h1', {}, movie ? `Edit ${movie.title}` : 'Add a movie'),
    h('div', { class: 'movie-page' }, current, form));
}
