// The seat map: the screen, rows as the auditorium's layout has them (aisles included), one
// button per seat. Keyboard: one seat is in the tab order; arrow keys move between seats that
// can be chosen, Space or Enter toggles. Live updates change one seat without a redraw.
// `readOnly` draws the same map for staff (sales, the layout designer's preview): seats are
// pictures, not buttons, and held and sold seats look different.

import { h } from './dom.js';
import { money, seatType, seatList, sum } from './format.js';

const STATES = { AVAILABLE: 'available', HELD: 'held', SOLD: 'sold' };

export class SeatMap {
  /**
   * rows: [{label, gapsAfter, seats: [{id, number, type, status, price}]}]
   * onSelection(ids): the choice changed; onTaken(ids): chosen seats someone else took;
   * onLimit(): a seat beyond the hold limit was asked for.
   */
  constructor(rows, {
    maxSeats = 0, selected = [], readOnly = false, showStates = true, onSelection = () => {}, onTaken = () => {}, onLimit = () => {},
  }) {
    this.maxSeats = maxSeats;
    this.readOnly = readOnly;
    this.showStates = showStates;
    this.onSelection = onSelection;
    this.onTaken = onTaken;
    this.onLimit = onLimit;
    this.seats = new Map();
    this.versions = new Map();
    this.touched = new Map();
    this.selected = new Set();
    this.focusId = null;
    performance.mark('seatmap-render-start');
    this.element = this.render(rows);
    for (const id of selected) {
      const s = this.seats.get(id);
      if (s && s.seat.status === 'AVAILABLE') this.selected.add(id);
    }
    this.seats.forEach((_, id) => this.paint(id));
    this.resetFocus();
    performance.mark('seatmap-render-end');
    performance.measure('seatmap-render', 'seatmap-render-start', 'seatmap-render-end');
  }

  render(rows) {
    this.rows = rows.map((row) => row.seats.map((seat) => seat.id));
    // Width of a row in seat sizes: labels, seats, aisles and the gaps between them (app.css).
    const units = (r) => {
      const aisles = (r.gapsAfter || []).length;
      return 1.8 + r.seats.length + 0.7 * aisles + 0.12 * (r.seats.length + aisles + 1);
    };
    const widest = Math.max(...rows.map(units), 1);
    const grid = h('div', { class: `seatmap${this.readOnly ? ' read-only' : ''}`, role: 'group', 'aria-label': 'Seats, screen at the top' });
    grid.addEventListener('click', (e) => {
      const button = e.target.closest('button.seat');
      if (button) this.toggle(button.dataset.seat);
    });
    grid.addEventListener('keydown', (e) => this.key(e));
    const fragment = document.createDocumentFragment();
    for (const row of rows) fragment.append(this.renderRow(row));
    grid.append(fragment);
    const scroller = h('div', { class: 'seatmap-scroll' },
      h('div', { class: 'screen', 'aria-hidden': 'true' }, 'Screen'), grid);
    const zoom = (factor) => {
      this.size = Math.max(8, Math.min(44, Math.round(this.size * factor)));
      scroller.style.setProperty('--seat', `${this.size}px`);
    };
    const wrap = h('div', { class: 'seatmap-wrap' },
      h('div', { class: 'zoom' },
        h('button', { type: 'button', class: 'small', onclick: () => zoom(1 / 1.25) }, 'Zoom out'),
        h('button', { type: 'button', class: 'small', onclick: () => zoom(1.25) }, 'Zoom in')),
      scroller,
      this.legend(rows));
    // Fit the widest row to the screen on a phone; the map pans when zoomed in.
    this.size = Math.max(8, Math.min(30, Math.floor((Math.min(window.innerWidth, 1024) - 76) / widest)));
    scroller.style.setProperty('--seat', `${this.size}px`);
    return wrap;
  }

  renderRow(row) {
    const gaps = new Set(row.gapsAfter || []);
    const cells = [h('span', { class: 'row-label', 'aria-hidden': 'true' }, row.label)];
    row.seats.forEach((seat, i) => {
      const button = this.readOnly
        ? h('span', { class: `seat ${seat.type.toLowerCase()}`, dataset: { seat: seat.id }, role: 'img' }, String(seat.number))
        : h('button', {
          type: 'button', class: `seat ${seat.type.toLowerCase()}`, dataset: { seat: seat.id }, tabindex: '-1',
        }, String(seat.number));
      this.seats.set(seat.id, { seat, button });
      cells.push(button);
      const next = row.seats[i + 1];
      if (next && (gaps.has(seat.number) || Math.abs(next.number - seat.number) > 1)) {
        cells.push(h('span', { class: 'aisle', 'aria-hidden': 'true' }));
      }
    });
    cells.push(h('span', { class: 'row-label', 'aria-hidden': 'true' }, row.label));
    return h('div', { class: 'seat-row', role: 'group', 'aria-label': `Row ${row.label}` }, cells);
  }

  legend(rows) {
    const byType = new Map();
    for (const row of rows) for (const s of row.seats) if (!byType.has(s.type)) byType.set(s.type, s.price);
    const order = ['STANDARD', 'PREMIUM', 'ACCESSIBLE'].filter((t) => byType.has(t));
    let states = this.readOnly
      ? [['held', 'Held'], ['sold', 'Sold']]
      : [['chosen', 'Your choice'], ['taken', 'Taken']];
    if (!this.showStates) states = [];
    return h('ul', { class: 'legend', 'aria-label': 'Legend' },
      order.map((t) => h('li', {}, h('span', { class: `swatch ${t.toLowerCase()}`, 'aria-hidden': 'true' }),
        `${seatType(t)[0].toUpperCase()}${seatType(t).slice(1)}${byType.get(t) ? ` ${money(byType.get(t))}` : ''}`)),
      states.map(([cls, text]) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text)));
  }

  paint(id) {
    const { seat, button } = this.seats.get(id);
    if (this.readOnly) {
      button.classList.toggle('held', seat.status === 'HELD');
      button.classList.toggle('sold', seat.status === 'SOLD');
      const price = seat.price ? `, ${money(seat.price)}` : '';
      button.setAttribute('aria-label', `${seat.id}, ${seatType(seat.type)}${price}, ${STATES[seat.status]}`);
      return;
    }
    const chosen = this.selected.has(id);
    const taken = seat.status !== 'AVAILABLE';
    button.disabled = taken;
    button.classList.toggle('taken', taken);
    button.classList.toggle('chosen', chosen);
    button.setAttribute('aria-pressed', String(chosen));
    button.setAttribute('aria-label',
      `${seat.id}, ${seatType(seat.type)}, ${money(seat.price)}, ${chosen ? 'selected' : STATES[seat.status]}`);
  }

  toggle(id) {
    if (this.readOnly) return;
    const entry = this.seats.get(id);
    if (!entry || entry.seat.status !== 'AVAILABLE') return;
    if (this.selected.has(id)) this.selected.delete(id);
    else if (this.selected.size >= this.maxSeats) { this.onLimit(); return; }
    else this.selected.add(id);
    this.paint(id);
    this.setFocus(id);
    this.onSelection(this.selection());
  }

  selection() {
    return [...this.selected];
  }

  total() {
    return sum(this.selection().map((id) => this.seats.get(id).seat.price));
  }

  summary() {
    const ids = this.selection();
    if (ids.length === 0) return 'No seats chosen yet.';
    return `${ids.length} ${ids.length === 1 ? 'seat' : 'seats'}: ${seatList(ids)} — total ${money(this.total())}`;
  }

  /**
   * A seat changed elsewhere (a live update). Updates carry the seat's version: one older than
   * the last seen for that seat arrived late and is dropped.
   */
  update(seatId, status, version = null) {
    const entry = this.seats.get(seatId);
    if (!entry) return;
    if (version !== null) {
      if (version <= (this.versions.get(seatId) ?? -Infinity)) return;
      this.versions.set(seatId, version);
      this.touched.set(seatId, performance.now());
    }
    if (entry.seat.status === status) return;
    entry.seat.status = status;
    const lost = status !== 'AVAILABLE' && this.selected.delete(seatId);
    const hadFocus = document.activeElement === entry.button;
    this.paint(seatId);
    if (this.focusId === seatId && status !== 'AVAILABLE') {
      this.resetFocus();
      // A disabled button drops focus to the page: keep the keyboard user inside the map.
      if (hadFocus && this.focusId) this.seats.get(this.focusId).button.focus();
    } else if (!this.focusId && status === 'AVAILABLE') {
      this.setFocus(seatId);
    }
    if (lost) {
      this.onTaken([seatId]);
      this.onSelection(this.selection());
    }
  }

  /**
   * A fresh copy of the whole map, fetched from `asked` (performance.now()) on. A seat a live
   * update changed after that moment keeps the update: the copy may predate it.
   */
  resync(rows, asked) {
    for (const row of rows) {
      for (const s of row.seats) {
        if ((this.touched.get(s.id) ?? -Infinity) < asked) this.update(s.id, s.status);
      }
    }
  }

  setFocus(id) {
    if (this.readOnly) return;
    if (this.focusId && this.seats.has(this.focusId)) this.seats.get(this.focusId).button.tabIndex = -1;
    this.focusId = id;
    if (id) this.seats.get(id).button.tabIndex = 0;
  }

  resetFocus() {
    const first = this.selection()[0]
      || [...this.seats.values()].find((s) => s.seat.status === 'AVAILABLE')?.seat.id
      || null;
    this.setFocus(first);
  }

  /** How many seats are in each state now: what the sales page counts. */
  counts() {
    const out = { AVAILABLE: 0, HELD: 0, SOLD: 0 };
    this.seats.forEach(({ seat }) => { out[seat.status] += 1; });
    return out;
  }

  key(e) {
    const button = e.target.closest('button.seat');
    if (!button) return;
    const id = button.dataset.seat;
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (moves[e.key]) {
      e.preventDefault();
      const target = this.neighbour(id, ...moves[e.key]);
      if (target) {
        this.setFocus(target);
        this.seats.get(target).button.focus();
      }
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      const row = this.rows.find((r) => r.includes(id)).filter((s) => this.choosable(s));
      const target = e.key === 'Home' ? row[0] : row[row.length - 1];
      if (target) { this.setFocus(target); this.seats.get(target).button.focus(); }
    }
  }

  choosable(id) {
    return this.seats.get(id).seat.status === 'AVAILABLE';
  }

  /** The next seat that can be chosen in a direction; up and down keep the horizontal place. */
  neighbour(id, dRow, dCol) {
    const r = this.rows.findIndex((row) => row.includes(id));
    if (dCol) {
      const row = this.rows[r];
      for (let c = row.indexOf(id) + dCol; c >= 0 && c < row.length; c += dCol) {
        if (this.choosable(row[c])) return row[c];
      }
      return null;
    }
    const x = this.centre(id);
    for (let i = r + dRow; i >= 0 && i < this.rows.length; i += dRow) {
      const candidates = this.rows[i].filter((s) => this.choosable(s));
      if (candidates.length) {
        return candidates.reduce((best, s) => (Math.abs(this.centre(s) - x) < Math.abs(this.centre(best) - x) ? s : best));
      }
    }
    return null;
  }

  centre(id) {
    const b = this.seats.get(id).button;
    return b.offsetLeft + b.offsetWidth / 2;
  }
}
