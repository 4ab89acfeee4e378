// One booking as the desk sees it: the customer, seats and tickets (used or not), its saga
// history, payment attempts, emails sent, and — for managers — a refund with a reason, which
// ignores the customers' cut-off.

import { gql } from '../../api.js';
import { admin } from '../rest.js';
import { h, show, notice, field } from '../../dom.js';
import { describe } from '../../errors.js';
import { dateTime, money, seatList } from '../../format.js';

const FIELDS = `id status createdAt customerEmail customerName total { amount currency } seats { id type }
  tickets { code seatId checkedInAt }
  showtime { id startsAt movie { title } cinema { name timeZone } auditorium { name } }
  history { step phase detail at }
  payments { id status amount amountRefunded currency createdAt }
  checkIns { ticketCode seatId door at }`;
const QUERY = `query Booking($id: ID!) { booking(id: $id) { ${FIELDS} } }`;
const REFUND = `mutation Refund($id: ID!, $reason: String!) { staffRefundBooking(bookingId: $id, reason: $reason) { ${FIELDS} } }`;

const when = (instant) => new Date(instant).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

function table(caption, heads, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('table', { class: 'seats-table' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, heads.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c ?? '—'))))));
}

export async function render([id], _query, { user, isCurrent }) {
  const [data, emails] = await Promise.all([
    gql(QUERY, { id }, { auth: true }),
    admin.get(`/api/v1/admin/notifications?booking_id=${encodeURIComponent(id)}`).catch((e) => e),
  ]);
  if (!isCurrent()) return;
  const messages = h('div', { class: 'messages' });
  const body = h('div', {});
  const draw = (b) => {
    const tz = b.showtime?.cinema?.timeZone;
    const used = new Map(b.checkIns.map((c) => [c.ticketCode, c]));
    body.replaceChildren(
      h('p', {}, h('span', { class: `status ${b.status.toLowerCase()}` }, b.status)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Customer'), h('dd', {}, `${b.customerName} <${b.customerEmail}>`),
        h('dt', {}, 'Showtime'), h('dd', {}, b.showtime ? `${b.showtime.movie.title}, ${dateTime(b.showtime.startsAt, tz)}, ${b.showtime.cinema.name} ${b.showtime.auditorium.name}` : '—'),
        h('dt', {}, 'Seats'), h('dd', {}, seatList(b.seats.map((s) => s.id))),
        h('dt', {}, 'Total'), h('dd', {}, money(b.total)),
        h('dt', {}, 'Booked'), h('dd', {}, when(b.createdAt)),
        h('dt', {}, 'Booking id'), h('dd', { class: 'code' }, b.id)),
      h('h2', {}, 'Tickets'),
      table('Tickets', ['Seat', 'Code', 'At the door'], b.tickets.map((t) => {
        const c = used.get(t.code);
        return [t.seatId, h('span', { class: 'code' }, t.code), c ? `used ${when(c.at)} at ${c.door}` : 'not used'];
      }), 'No tickets (the booking was not paid).'),
      h('h2', {}, 'Payments'),
      table('Payment attempts', ['When', 'Status', 'Amount', 'Refunded'], b.payments.map((p) => [
        p.createdAt ? when(p.createdAt) : null, p.status, money({ amount: p.amount, currency: p.currency }),
        money({ amount: p.amountRefunded, currency: p.currency })]), 'No payment attempts.'),
      h('h2', {}, 'Emails'),
      emails instanceof Error
        ? notice('warning', `Emails could not be listed: ${describe(emails)}`)
        : table('Emails sent', ['When', 'Event', 'To', 'Status'], emails.map((m) => [
          when(m.sent_at || m.created_at), m.event_type, m.recipient, m.status]), 'No emails yet.'),
      h('h2', {}, 'History'),
      table('Saga history', ['When', 'Step', 'Phase', 'Detail'], b.history.map((l) => [when(l.at), l.step, l.phase, l.detail]), 'No history.'),
      refundForm(b));
  };

  function refundForm(b) {
    if (!['CONFIRMED', 'PENDING'].includes(b.status)) return null;
    if (user.role !== 'admin') return h('p', { class: 'hint' }, 'Refunds are done by a cinema manager (role admin).');
    const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 500, required: true });
    const submit = h('button', { type: 'submit', class: 'secondary' }, b.status === 'PENDING' ? 'Cancel the hold' : `Refund ${money(b.total)}`);
    const form = h('form', { class: 'card narrow refund-form', novalidate: true },
      h('h2', {}, 'Refund as staff'),
      h('p', { class: 'hint' }, 'Allowed whatever the customers’ cut-off; the customer gets the refund email.'),
      field('Reason (kept in the history)', reason), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) { reason.setAttribute('aria-invalid', 'true'); reason.focus(); messages.replaceChildren(notice('error', 'Give a reason for the refund.')); return; }
      submit.disabled = true;
      try {
        const { staffRefundBooking } = await gql(REFUND, { id: b.id, reason: reason.value.trim() }, { auth: true });
        draw(staffRefundBooking);
        messages.replaceChildren(notice('success', staffRefundBooking.status === 'REFUNDED' ? 'Refunded. The customer gets an email.' : `The booking is ${staffRefundBooking.status.toLowerCase()}.`));
      } catch (error) {
        messages.replaceChildren(notice('error', describe(error)));
        submit.disabled = false;
      }
    });
    return form;
  }

  if (!data.booking) throw Object.assign(new Error('not found'), { code: 'NOT_FOUND' });
  draw(data.booking);
  show(`Booking ${id.slice(0, 8)}`,
    h('p', { class: 'crumbs' }, h('a', { href: `#/bookings?q=${encodeURIComponent(data.booking.customerEmail)}` }, `← Bookings of ${data.booking.customerEmail}`)),
    h('h1', {}, `Booking of ${data.booking.customerName}`), messages, body);
}
