// The door: pick the showtime and name the door, then type a ticket code or scan its QR code
// with the camera (where the browser has BarcodeDetector). The answer fills the screen. The
// booking service checks a ticket in exactly once, so two doors never both admit it.

import { gql } from '../../api.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';
import { dayKey, time, dateTime } from '../../format.js';

const CINEMAS = 'query { cinemas { id name timeZone } }';
const SHOWTIMES = `query Day($cinema: ID!, $date: Date!) { showtimes(cinemaId: $cinema, date: $date) {
  id startsAt movie { title } auditorium { name } } }`;
const CHECK_IN = `mutation CheckIn($code: String!, $showtime: ID!, $door: String!) {
  checkIn(code: $code, showtimeId: $showtime, door: $door) {
    outcome code seatId checkedInAt door showtime { id startsAt movie { title } cinema { timeZone } auditorium { name } } } }`;

const WORDS = {
  VALID: 'VALID',
  ALREADY_USED: 'ALREADY USED',
  WRONG_SHOWTIME: 'WRONG SHOWTIME',
  REFUNDED: 'REFUNDED',
  UNKNOWN: 'UNKNOWN',
};

export async function render(_params, query, { go, isCurrent }) {
  const { cinemas } = await gql(CINEMAS);
  if (!isCurrent()) return null;
  const showtimeId = query.get('showtime');
  const door = (query.get('door') || '').trim();
  const cinema = cinemas.find((c) => c.id === query.get('cinema')) || cinemas[0];
  if (!cinema) { show('Door', h('h1', {}, 'Door check-in'), h('p', { class: 'empty' }, 'No cinemas yet.')); return null; }
  const tz = cinema.timeZone;
  const today = dayKey(Date.now(), tz);
  const { showtimes } = await gql(SHOWTIMES, { cinema: cinema.id, date: today });
  if (!isCurrent()) return null;
  const current = showtimes.find((s) => s.id === showtimeId);

  if (!current || !door) {
    const cinemaSelect = h('select', { name: 'cinema', onchange: (e) => go(`/door?cinema=${e.target.value}`) },
      cinemas.map((c) => h('option', { value: c.id, selected: c.id === cinema.id }, c.name)));
    const showSelect = h('select', { name: 'showtime', required: true },
      showtimes.map((s) => h('option', { value: s.id, selected: s.id === showtimeId }, `${time(s.startsAt, tz)} ${s.movie.title} — ${s.auditorium.name}`)));
    const doorInput = h('input', { name: 'door', required: true, maxlength: 60, value: door || 'Main entrance', autocomplete: 'off' });
    const form = h('form', { class: 'card narrow', novalidate: true },
      field('Cinema', cinemaSelect), field(`Showtime today (${today})`, showSelect), field('This door', doorInput, 'Shown to the next door if a ticket was already used here.'),
      h('button', { type: 'submit', disabled: !showtimes.length }, 'Start checking tickets'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      go(`/door?cinema=${cinema.id}&showtime=${showSelect.value}&door=${encodeURIComponent(doorInput.value.trim())}`);
    });
    show('Door', h('h1', {}, 'Door check-in'), showtimes.length ? null : notice('warning', 'No showtimes today in this cinema.'), form);
    return null;
  }

  const code = h('input', {
    name: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', maxlength: 40, class: 'code-input',
  });
  const answer = h('div', { class: 'door-answer', role: 'status', 'aria-live': 'assertive', 'aria-atomic': 'true', id: 'door-answer' });
  const check = h('button', { type: 'submit' }, 'Check ticket');
  const form = h('form', { class: 'door-form', novalidate: true }, field('Ticket code', code), check);
  let busy = false;

  async function submit(text) {
    const value = text.trim();
    if (!value || busy) return;
    busy = true;
    check.disabled = true;
    try {
      const { checkIn: r } = await gql(CHECK_IN, { code: value, showtime: current.id, door }, { auth: true });
      drawAnswer(r);
    } catch (error) {
      answer.className = 'door-answer error';
      answer.replaceChildren(h('p', { class: 'door-word' }, 'NOT CHECKED'), h('p', {}, describe(error)));
    } finally {
      busy = false;
      check.disabled = false;
      code.value = '';
      code.focus();
    }
  }

  function drawAnswer(r) {
    answer.className = `door-answer ${r.outcome.toLowerCase().replace('_', '-')}`;
    answer.dataset.outcome = r.outcome;
    const lines = [h('p', { class: 'door-word' }, WORDS[r.outcome] || r.outcome)];
    const st = r.showtime;
    const stTz = st?.cinema?.timeZone || tz;
    if (r.outcome === 'VALID') {
      lines.push(h('p', { class: 'door-seat' }, `Seat ${r.seatId}`), h('p', {}, `${st.movie.title}, ${time(st.startsAt, stTz)}, ${st.auditorium.name}`));
    } else if (r.outcome === 'ALREADY_USED') {
      lines.push(h('p', {}, `Seat ${r.seatId}: checked in ${new Date(r.checkedInAt).toLocaleTimeString()} at ${r.door}.`));
    } else if (r.outcome === 'WRONG_SHOWTIME') {
      lines.push(h('p', {}, st ? `This ticket is for ${st.movie.title}, ${dateTime(st.startsAt, stTz)}, ${st.auditorium.name} (seat ${r.seatId}).` : 'This ticket is for another showtime.'));
    } else if (r.outcome === 'REFUNDED') {
      lines.push(h('p', {}, `Seat ${r.seatId}: the booking was refunded or cancelled. Do not admit.`));
    } else {
      lines.push(h('p', {}, `No ticket has the code ${r.code}.`));
    }
    answer.replaceChildren(...lines);
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); submit(code.value); });

  let stream = null;
  let scanning = false;
  const video = h('video', { class: 'scanner', muted: true, playsinline: true, hidden: true, 'aria-label': 'Camera picture' });
  const scan = 'BarcodeDetector' in window
    ? h('button', { type: 'button', class: 'secondary', onclick: () => (scanning ? stopScan() : startScan()) }, 'Scan with camera')
    : h('p', { class: 'hint' }, 'This browser cannot read QR codes from the camera: type the code under the QR code.');
  async function startScan() {
    try {
      const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      scanning = true;
      scan.textContent = 'Stop the camera';
      // A ticket held in front of the camera is checked once: the same code again only after
      // it has been out of view for a moment (else the answer would flip to ALREADY USED).
      let last = '';
      let lastSeen = 0;
      const loop = async () => {
        if (!scanning) return;
        const found = await detector.detect(video).catch(() => []);
        const value = found[0]?.rawValue;
        if (value) {
          if (value !== last || Date.now() - lastSeen > 1500) await submit(value);
          last = value;
          lastSeen = Date.now();
        }
        setTimeout(loop, 200);
      };
      loop();
    } catch (error) {
      answer.className = 'door-answer error';
      answer.replaceChildren(h('p', {}, `The camera could not start (${error.name || 'error'}). Type the code instead.`));
    }
  }
  function stopScan() {
    scanning = false;
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    if (scan.tagName === 'BUTTON') scan.textContent = 'Scan with camera';
  }

  show('Door', h('h1', {}, `Door: ${door}`),
    h('p', { class: 'meta' }, `${current.movie.title}, ${time(current.startsAt, tz)}, ${current.auditorium.name} · `,
      h('a', { href: `#/door?cinema=${cinema.id}` }, 'Change')),
    form, scan, video, answer);
  code.focus();
  return () => stopScan();
}
