// The layout designer: rows × seats, click or drag to paint seats as gaps (aisles) or as a seat
// type, row labels, the numbering direction, and a live preview drawn by the customers' seat
// map. The cinema service refuses a layout change under sold or held seats (409); the answer is
// shown next to the Save button.

import { admin } from '../rest.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';
import { SeatMap } from '../../seatmap.js';
import { GAP, MAX_COLUMNS, MAX_ROWS, TYPES, emptyGrid, fromLayout, previewRows, resize, toLayout } from '../layout.js';

const TOOL_NAMES = { gap: 'Aisle (no seat)', standard: 'Standard seat', premium: 'Premium seat', accessible: 'Accessible seat' };

export async function render([cinemaId, auditoriumId], _query, { go, isCurrent }) {
  const cinema = await admin.get(`/api/v1/admin/cinemas/${cinemaId}`);
  const existing = auditoriumId === 'new'
    ? null
    : await admin.get(`/api/v1/admin/cinemas/${cinemaId}/auditoriums/${auditoriumId}`);
  if (!isCurrent()) return null;
  let grid = existing ? fromLayout(existing.layout) : emptyGrid(8, 12);
  let tool = GAP;
  let painting = false;
  let focus = [0, 0];

  const name = h('input', { name: 'name', required: true, maxlength: 100, value: existing ? existing.name : '' });
  const rowsInput = h('input', { name: 'rows', type: 'number', min: 1, max: MAX_ROWS, value: grid.rows.length, inputmode: 'numeric' });
  const colsInput = h('input', { name: 'columns', type: 'number', min: 1, max: MAX_COLUMNS, value: grid.rows[0]?.cells.length || 1, inputmode: 'numeric' });
  const direction = h('select', { name: 'direction' },
    h('option', { value: 'ltr' }, 'Left to right'),
    h('option', { value: 'rtl' }, 'Right to left'));
  direction.value = grid.direction;

  const tools = h('fieldset', { class: 'tools' }, h('legend', {}, 'Paint with'),
    [GAP, ...TYPES].map((t) => h('label', { class: `tool tool-${t}` },
      h('input', { type: 'radio', name: 'tool', value: t, checked: t === tool, onchange: () => { tool = t; } }),
      TOOL_NAMES[t])));

  const editor = h('div', { class: 'designer-grid', role: 'group', 'aria-label': 'Seat layout: each place is a seat or an aisle; Space paints it' });
  const preview = h('div', { class: 'preview' });
  const errors = h('ul', { class: 'designer-errors', 'aria-live': 'polite' });
  const counts = h('p', { class: 'meta', 'aria-live': 'polite' });
  const messages = h('div', { class: 'messages' });
  const save = h('button', { type: 'submit', class: 'primary' }, existing ? 'Save layout' : 'Create auditorium');

  function cellLabel(r, c) {
    const row = grid.rows[r];
    const kind = row.cells[c];
    return `Row ${row.label || r + 1}, place ${c + 1}: ${kind === GAP ? 'aisle' : `${kind} seat`}`;
  }

  function drawEditor() {
    const lines = grid.rows.map((row, r) => {
      const label = h('input', {
        class: 'row-label-input', value: row.label, maxlength: 4, 'aria-label': `Label of row ${r + 1}`,
        oninput: (e) => { grid.rows[r].label = e.target.value; refresh(false); },
      });
      const cells = row.cells.map((kind, c) => h('button', {
        type: 'button', class: `cell ${kind}`, tabindex: focus[0] === r && focus[1] === c ? '0' : '-1',
        dataset: { r, c }, 'aria-label': cellLabel(r, c),
      }));
      return h('div', { class: 'designer-row', role: 'group', 'aria-label': `Row ${r + 1}` }, h('span', { class: 'row-head' }, label), cells);
    });
    editor.replaceChildren(h('div', { class: 'screen', 'aria-hidden': 'true' }, 'Screen'), ...lines);
  }

  function paintCell(button) {
    const r = Number(button.dataset.r);
    const c = Number(button.dataset.c);
    if (grid.rows[r].cells[c] === tool) return;
    grid.rows[r].cells[c] = tool;
    button.className = `cell ${tool}`;
    button.setAttribute('aria-label', cellLabel(r, c));
    refresh(false);
  }

  editor.addEventListener('pointerdown', (e) => {
    const cell = e.target.closest('button.cell');
    if (!cell) return;
    e.preventDefault();
    painting = true;
    paintCell(cell);
  });
  editor.addEventListener('pointerover', (e) => {
    const cell = e.target.closest('button.cell');
    if (painting && cell) paintCell(cell);
  });
  const stop = () => { painting = false; };
  window.addEventListener('pointerup', stop);
  // Keyboard: Space or Enter paints (a click without a pointer), arrows move the focus.
  editor.addEventListener('click', (e) => {
    const cell = e.target.closest('button.cell');
    if (cell && e.detail === 0) paintCell(cell);
  });
  editor.addEventListener('keydown', (e) => {
    const cell = e.target.closest('button.cell');
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (!cell || !moves[e.key]) return;
    e.preventDefault();
    const r = Math.max(0, Math.min(grid.rows.length - 1, Number(cell.dataset.r) + moves[e.key][0]));
    const c = Math.max(0, Math.min(grid.rows[0].cells.length - 1, Number(cell.dataset.c) + moves[e.key][1]));
    cell.tabIndex = -1;
    focus = [r, c];
    const next = editor.querySelector(`button.cell[data-r="${r}"][data-c="${c}"]`);
    next.tabIndex = 0;
    next.focus();
  });

  function refresh(redrawEditor = true) {
    if (redrawEditor) drawEditor();
    const result = toLayout(grid);
    errors.replaceChildren(...result.errors.map((e) => h('li', { class: 'field-error' }, e.message)));
    editor.querySelectorAll('.row-label-input').forEach((input, r) => {
      input.setAttribute('aria-invalid', String(result.errors.some((e) => e.row === r)));
    });
    const c = result.counts;
    counts.textContent = `${c.total} seats: ${c.standard} standard, ${c.premium} premium, ${c.accessible} accessible.`;
    save.disabled = result.errors.length > 0;
    const rows = previewRows(result.layout).filter((row) => row.seats.length);
    preview.replaceChildren(rows.length ? new SeatMap(rows, { readOnly: true, showStates: false }).element : h('p', { class: 'empty' }, 'No seats yet.'));
    return result;
  }

  const resizeTo = () => {
    const rows = Math.max(1, Math.min(MAX_ROWS, Number(rowsInput.value) || 1));
    const cols = Math.max(1, Math.min(MAX_COLUMNS, Number(colsInput.value) || 1));
    grid = resize(grid, rows, cols);
    focus = [0, 0];
    refresh();
  };
  rowsInput.addEventListener('change', resizeTo);
  colsInput.addEventListener('change', resizeTo);
  direction.addEventListener('change', () => { grid.direction = direction.value; refresh(false); });

  const form = h('form', { class: 'designer', novalidate: true },
    h('div', { class: 'designer-settings' },
      field('Auditorium name', name),
      field('Rows', rowsInput, `1 to ${MAX_ROWS}, front (screen) to back`),
      field('Places per row', colsInput, `1 to ${MAX_COLUMNS}, seats and aisles`),
      field('Seat numbering', direction, 'Where seat 1 is, facing the screen')),
    tools,
    h('p', { class: 'hint' }, 'Click or drag over places to paint them. With the keyboard: arrow keys move, Space paints.'),
    h('div', { class: 'designer-scroll' }, editor),
    counts, errors, messages, save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const result = refresh(false);
    if (!name.value.trim()) {
      messages.replaceChildren(notice('error', 'Give the auditorium a name.'));
      name.setAttribute('aria-invalid', 'true');
      name.focus();
      return;
    }
    name.removeAttribute('aria-invalid');
    if (result.errors.length) return;
    save.disabled = true;
    messages.replaceChildren();
    const body = { name: name.value.trim(), layout: result.layout };
    try {
      if (existing) {
        await admin.put(`/api/v1/admin/cinemas/${cinemaId}/auditoriums/${existing.id}`, body);
        messages.replaceChildren(notice('success', `Saved: ${result.counts.total} seats.`));
      } else {
        const made = await admin.post(`/api/v1/admin/cinemas/${cinemaId}/auditoriums`, body);
        go(`/cinemas?created=${made.id}`);
        return;
      }
    } catch (error) {
      messages.replaceChildren(notice('error', error.status === 409 || error.status === 422
        ? `Not saved: ${error.message}` : describe(error)));
    }
    save.disabled = false;
  });

  show(existing ? `Layout of ${existing.name}` : 'New auditorium',
    h('p', { class: 'crumbs' }, h('a', { href: '#/cinemas' }, `← ${cinema.name}`)),
    h('h1', {}, existing ? `Layout of ${existing.name}` : `New auditorium in ${cinema.name}`),
    existing ? h('p', { class: 'hint' }, 'A layout cannot change while a showtime in this auditorium has sold or held seats: the seats customers bought stay as they are.') : null,
    h('div', { class: 'designer-page' },
      form,
      h('section', { class: 'designer-preview', 'aria-labelledby': 'preview-title' },
        h('h2', { id: 'preview-title' }, 'Preview — as customers will see it'), preview)));
  refresh();
  return () => window.removeEventListener('pointerup', stop);
}
