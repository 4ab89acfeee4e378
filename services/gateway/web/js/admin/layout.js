// The layout designer's model, without the DOM: a grid of cells (a seat of a type, or a gap)
// turned into the auditorium layout the cinema service stores, and back. Seats are numbered in
// drawing order (left to right, or right to left), skipping gaps; a gap between two seats is
// an aisle after the seat drawn before it. The preview draws the result with the customers'
// own seat-map component, so what staff see is what customers get.

export const TYPES = ['standard', 'premium', 'accessible'];
export const GAP = 'gap';
export const MAX_SEATS = 2000;
export const MAX_ROWS = 40;
export const MAX_COLUMNS = 60;

/** A, B, …, Z, AA, AB, … */
export function rowLabel(index) {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

export function emptyGrid(rows, columns) {
  return {
    direction: 'ltr',
    rows: Array.from({ length: rows }, (_, i) => ({ label: rowLabel(i), cells: Array(columns).fill('standard') })),
  };
}

/** The same grid with another size; cells that stay keep what they were. */
export function resize(grid, rows, columns) {
  const out = { direction: grid.direction, rows: [] };
  for (let r = 0; r < rows; r += 1) {
    const old = grid.rows[r];
    const cells = Array.from({ length: columns }, (_, c) => (old && old.cells[c]) || 'standard');
    out.rows.push({ label: old ? old.label : nextFreeLabel(grid, out, r), cells });
  }
  return out;
}

function nextFreeLabel(grid, partial, index) {
  const used = new Set([...grid.rows, ...partial.rows].map((row) => row.label));
  for (let i = index; ; i += 1) if (!used.has(rowLabel(i))) return rowLabel(i);
}

/** { layout, errors, counts } — errors name the row they are about. */
export function toLayout(grid) {
  const errors = [];
  const counts = { standard: 0, premium: 0, accessible: 0, total: 0 };
  const labels = new Map();
  const rows = [];
  grid.rows.forEach((row, r) => {
    const label = row.label.trim();
    const where = `Row ${r + 1}${label ? ` (${label})` : ''}`;
    if (!/^[A-Za-z0-9]{1,4}$/.test(label)) errors.push({ row: r, message: `${where}: a row label is 1 to 4 letters or digits.` });
    else if (labels.has(label)) errors.push({ row: r, message: `${where}: the label ${label} is already used by row ${labels.get(label) + 1}.` });
    else labels.set(label, r);
    const seatCells = row.cells.filter((c) => c !== GAP).length;
    if (seatCells === 0) errors.push({ row: r, message: `${where} has no seats: remove the row or add seats.` });
    let number = grid.direction === 'rtl' ? seatCells : 1;
    const step = grid.direction === 'rtl' ? -1 : 1;
    const seats = [];
    const gapsAfter = [];
    let pendingGap = false;
    for (const cell of row.cells) {
      if (cell === GAP) { pendingGap = seats.length > 0; continue; }
      if (pendingGap) {
        const before = seats[seats.length - 1].number;
        if (!gapsAfter.includes(before)) gapsAfter.push(before);
        pendingGap = false;
      }
      seats.push({ number, type: cell });
      counts[cell] += 1;
      counts.total += 1;
      number += step;
    }
    rows.push({ label, seats, gaps_after: gapsAfter });
  });
  if (grid.rows.length === 0) errors.push({ row: null, message: 'An auditorium needs at least one row.' });
  if (counts.total > MAX_SEATS) errors.push({ row: null, message: `At most ${MAX_SEATS} seats; this layout has ${counts.total}.` });
  return { layout: { rows }, errors, counts };
}

/** The grid that draws a stored layout. */
export function fromLayout(layout) {
  const rtl = layout.rows.some((row) => row.seats.length > 1 && row.seats[0].number > row.seats[row.seats.length - 1].number);
  const rows = layout.rows.map((row) => {
    const gaps = new Set(row.gaps_after || []);
    const cells = [];
    row.seats.forEach((seat, i) => {
      cells.push(seat.type || 'standard');
      if (gaps.has(seat.number) && i < row.seats.length - 1) cells.push(GAP);
    });
    return { label: row.label, cells };
  });
  const width = Math.max(1, ...rows.map((row) => row.cells.length));
  rows.forEach((row) => { while (row.cells.length < width) row.cells.push(GAP); });
  return { direction: rtl ? 'rtl' : 'ltr', rows };
}

/** The rows the customers' seat map draws for a layout (every seat available). */
export function previewRows(layout) {
  return layout.rows.map((row) => ({
    label: row.label,
    gapsAfter: row.gaps_after,
    seats: row.seats.map((s) => ({
      id: `${row.label}-${s.number}`, number: s.number, type: s.type.toUpperCase(), status: 'AVAILABLE', price: null,
    })),
  }));
}
