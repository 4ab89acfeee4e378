// Money in minor units and times in the cinema's own time zone.

const moneyFormats = new Map();

export function money({ amount, currency }) {
  if (!currency) return String(amount / 100);
  let f = moneyFormats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    moneyFormats.set(currency, f);
  }
  return f.format(amount / 10 ** (f.resolvedOptions().maximumFractionDigits ?? 2));
}

export function sum(prices) {
  if (prices.length === 0) return null;
  return { amount: prices.reduce((t, p) => t + p.amount, 0), currency: prices[0].currency };
}

/** YYYY-MM-DD of an instant in a time zone. */
export function dayKey(instant, timeZone) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (t) => parts.find((p) => p.type === t).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Today and the next six days, as day keys in the time zone. */
export function week(timeZone, now = Date.now()) {
  const [y, m, d] = dayKey(now, timeZone).split('-').map(Number);
  const days = [];
  for (let i = 0; i < 7; i += 1) days.push(new Date(Date.UTC(y, m - 1, d + i)).toISOString().slice(0, 10));
  return days;
}

export function dayLabel(key, todayKey) {
  if (key === todayKey) return 'Today';
  const [y, m, d] = key.split('-').map(Number);
  return new Intl.DateTimeFormat(undefined, {
    weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC',
  }).format(Date.UTC(y, m - 1, d));
}

export function time(instant, timeZone) {
  return new Intl.DateTimeFormat(undefined, {
    hour: '2-digit', minute: '2-digit', timeZone,
  }).format(new Date(instant));
}

export function dateTime(instant, timeZone) {
  return new Intl.DateTimeFormat(undefined, {
    weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
    timeZone, timeZoneName: 'short',
  }).format(new Date(instant));
}

export function runtime(minutes) {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} h ${m} min` : `${m} min`;
}

export function seatType(type) {
  return { STANDARD: 'standard', PREMIUM: 'premium', ACCESSIBLE: 'accessible' }[type] || type.toLowerCase();
}

/** Seat ids in row order, e.g. "F-11, F-12". */
export function seatList(ids) {
  return [...ids].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).join(', ');
}
