// The back office's start page: what the caller's role can do.

import { h, show } from '../../dom.js';

const TILES = [
  ['#/cinemas', 'Cinemas and auditoriums', 'Design seat layouts: aisles, premium and accessible seats.', 'admin'],
  ['#/movies', 'Movies', 'Titles, runtimes, ratings, synopses and posters.', 'admin'],
  ['#/schedule', 'Schedule', 'The day per auditorium; add showtimes, repeat them daily.', 'admin'],
  ['#/sales', 'Sales', 'Sold, held and free seats and revenue, live.', 'admin'],
  ['#/bookings', 'Bookings', 'Find a booking by id, ticket code or email; its history; refunds.', 'staff'],
  ['#/door', 'Door check-in', 'Check tickets in by code or camera.', 'staff'],
];

export function render(_params, _query, { user }) {
  const mine = TILES.filter(([, , , role]) => user.role === 'admin' || role === 'staff');
  show('Back office', h('h1', {}, 'Back office'),
    h('ul', { class: 'tiles' }, mine.map(([href, title, text]) => h('li', {},
      h('a', { href, class: 'tile' }, h('strong', {}, title), h('span', {}, text))))));
}
