// Cinemas with their auditoriums; a new cinema; links into the layout designer.

import { admin } from '../rest.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';

export async function render(_params, query, { go, isCurrent }) {
  const cinemas = await admin.get('/api/v1/admin/cinemas');
  const halls = await Promise.all(cinemas.map((c) => admin.get(`/api/v1/admin/cinemas/${c.id}/auditoriums`)));
  if (!isCurrent()) return;

  const list = h('ul', { class: 'admin-list' }, cinemas.map((c, i) => h('li', { class: 'card' },
    h('h2', {}, c.name),
    h('p', { class: 'meta' }, `${c.address} · ${c.time_zone}`),
    halls[i].length
      ? h('table', { class: 'seats-table' },
        h('caption', {}, `Auditoriums of ${c.name}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Auditorium'), h('th', { scope: 'col' }, 'Seats'), h('th', { scope: 'col' }, 'Layout'))),
        h('tbody', {}, halls[i].map((a) => h('tr', { class: query.get('created') === a.id ? 'highlight' : null },
          h('td', {}, a.name), h('td', {}, String(a.seat_count)),
          h('td', {}, h('a', { href: `#/cinemas/${c.id}/auditoriums/${a.id}`, 'aria-label': `Edit layout of ${a.name}` }, 'Edit layout'))))))
      : h('p', { class: 'empty' }, 'No auditoriums yet.'),
    h('a', { class: 'button small', href: `#/cinemas/${c.id}/auditoriums/new` }, `New auditorium in ${c.name}`))));

  const name = h('input', { name: 'name', required: true, maxlength: 200 });
  const address = h('input', { name: 'address', required: true, maxlength: 500 });
  const zone = h('input', { name: 'time_zone', required: true, value: Intl.DateTimeFormat().resolvedOptions().timeZone, list: 'zones' });
  const zones = h('datalist', { id: 'zones' }, (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).map((z) => h('option', { value: z })));
  const messages = h('div', { class: 'messages' });
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h2', {}, 'New cinema'),
    field('Name', name), field('Address', address), field('Time zone', zone, 'IANA name, e.g. Europe/Berlin'), zones,
    messages, h('button', { type: 'submit' }, 'Create cinema'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    try {
      await admin.post('/api/v1/admin/cinemas', { name: name.value.trim(), address: address.value.trim(), time_zone: zone.value.trim() });
      go(`/cinemas?t=${Date.now()}`);
    } catch (error) {
      messages.replaceChildren(notice('error', error.status === 422 ? error.message : describe(error)));
    }
  });

  show('Cinemas', h('h1', {}, 'Cinemas and auditoriums'),
    query.get('created') ? notice('success', 'The auditorium was created.') : null,
    cinemas.length ? list : h('p', { class: 'empty' }, 'No cinemas yet.'), form);
}
