// The back office's pure modules, in Node: the layout designer's model and the time zones of
// the schedule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GAP, emptyGrid, fromLayout, previewRows, resize, rowLabel, toLayout } from '../../services/gateway/web/js/admin/layout.js';
import { localToInstant, minutesInto, nextDay } from '../../services/gateway/web/js/admin/zone.js';

test('row labels run A…Z, then AA', () => {
  assert.deepEqual([0, 1, 25, 26, 27].map(rowLabel), ['A', 'B', 'Z', 'AA', 'AB']);
});

test('a gap between seats is an aisle after the seat drawn before it; numbers skip gaps', () => {
  const grid = emptyGrid(1, 7);
  grid.rows[0].cells[3] = GAP;
  const { layout, errors, counts } = toLayout(grid);
  assert.deepEqual(errors, []);
  assert.deepEqual(layout.rows[0].seats.map((s) => s.number), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(layout.rows[0].gaps_after, [3]);
  assert.equal(counts.total, 6);
});

test('right-to-left rows list their seats as drawn, highest number first', () => {
  const grid = emptyGrid(1, 5);
  grid.direction = 'rtl';
  grid.rows[0].cells[2] = GAP;
  const { layout } = toLayout(grid);
  assert.deepEqual(layout.rows[0].seats.map((s) => s.number), [4, 3, 2, 1]);
  assert.deepEqual(layout.rows[0].gaps_after, [3]);
  assert.deepEqual(fromLayout(layout), { direction: 'rtl', rows: [{ label: 'A', cells: ['standard', 'standard', GAP, 'standard', 'standard'] }] });
});

test('gaps at the ends of a row are no aisle, several in a row are one', () => {
  const grid = emptyGrid(1, 8);
  grid.rows[0].cells = [GAP, 'standard', GAP, GAP, 'premium', 'accessible', GAP, GAP];
  const { layout, counts } = toLayout(grid);
  assert.deepEqual(layout.rows[0].seats, [{ number: 1, type: 'standard' }, { number: 2, type: 'premium' }, { number: 3, type: 'accessible' }]);
  assert.deepEqual(layout.rows[0].gaps_after, [1]);
  assert.deepEqual([counts.standard, counts.premium, counts.accessible], [1, 1, 1]);
});

test('bad labels, duplicate labels and empty rows are named', () => {
  const grid = emptyGrid(3, 2);
  grid.rows[1].label = 'A';
  grid.rows[2].cells = [GAP, GAP];
  grid.rows[0].label = 'A!';
  const { errors } = toLayout(grid);
  assert.equal(errors.length, 2);
  assert.match(errors[0].message, /Row 1 \(A!\): a row label is 1 to 4/);
  assert.match(errors[1].message, /Row 3 \(C\) has no seats/);
  grid.rows[0].label = 'A';
  assert.match(toLayout(grid).errors[0].message, /already used by row 1/);
});

test('a stored layout comes back as the grid that makes it', () => {
  const grid = emptyGrid(3, 6);
  grid.rows[0].cells[2] = GAP;
  grid.rows[2].cells[5] = 'accessible';
  const { layout } = toLayout(grid);
  const again = toLayout(fromLayout(layout)).layout;
  assert.deepEqual(again, layout);
  assert.equal(previewRows(layout)[0].seats[0].id, 'A-1');
  assert.equal(previewRows(layout)[2].seats[5].type, 'ACCESSIBLE');
});

test('resizing keeps the cells that stay', () => {
  const grid = emptyGrid(2, 3);
  grid.rows[0].cells[1] = 'premium';
  const bigger = resize(grid, 3, 4);
  assert.equal(bigger.rows.length, 3);
  assert.equal(bigger.rows[0].cells[1], 'premium');
  assert.equal(bigger.rows[2].label, 'C');
  assert.equal(resize(grid, 1, 1).rows[0].cells.length, 1);
});

test('local times in a zone become instants, across a daylight-saving change', () => {
  assert.equal(new Date(localToInstant('2026-07-01', '20:00', 'Europe/Berlin')).toISOString(), '2026-07-01T18:00:00.000Z');
  assert.equal(new Date(localToInstant('2026-12-01', '20:00', 'Europe/Berlin')).toISOString(), '2026-12-01T19:00:00.000Z');
  assert.equal(new Date(localToInstant('2026-03-29', '12:00', 'Europe/Berlin')).toISOString(), '2026-03-29T10:00:00.000Z');
  assert.equal(new Date(localToInstant('2026-11-25', '09:30', 'America/New_York')).toISOString(), '2026-11-25T14:30:00.000Z');
  assert.equal(minutesInto('2026-12-01', Date.parse('2026-12-01T19:00:00Z'), 'Europe/Berlin'), 20 * 60);
  assert.equal(nextDay('2026-12-31'), '2027-01-01');
});
