// Wall-clock times in a cinema's time zone, without a time-zone library: Intl tells the
// offset of a zone at an instant, and a local time is found by correcting a first guess.

function parts(instant, timeZone) {
  const out = {};
  for (const p of new Intl.DateTimeFormat('en-GB', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(instant))) out[p.type] = p.value;
  return out;
}

/** Milliseconds the zone is ahead of UTC at `instant`. */
export function offset(instant, timeZone) {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant (ms) when the clocks of `timeZone` show `day` (YYYY-MM-DD) at `hhmm` (HH:MM). */
export function localToInstant(day, hhmm, timeZone) {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = hhmm.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall - offset(wall, timeZone);
  guess = wall - offset(guess, timeZone);
  return guess;
}

/** Minutes since local midnight of `day` in the zone (can exceed 1440 after midnight). */
export function minutesInto(day, instant, timeZone) {
  return (new Date(instant).getTime() - localToInstant(day, '00:00', timeZone)) / 60000;
}

/** The day after `day`, both YYYY-MM-DD. */
export function nextDay(day, n = 1) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}
