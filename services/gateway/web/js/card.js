// Card checks made before anything is sent: the number's Luhn digit and an expiry in the future.

export function digits(text) {
  return String(text).replace(/[\s-]/g, '');
}

export function luhn(number) {
  if (!/^\d{12,19}$/.test(number)) return false;
  let total = 0;
  for (let i = 0; i < number.length; i += 1) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return total % 10 === 0;
}

/** "MM/YY" or "MM/YYYY" → {month, year}, or null. */
export function parseExpiry(text) {
  const m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
  if (!m) return null;
  const month = Number(m[1]);
  const year = m[2].length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  if (month < 1 || month > 12) return null;
  return { month, year };
}

/** A card is good through the last day of its expiry month. */
export function expired({ month, year }, now = new Date()) {
  return year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1);
}

/** The problems with a card form, by field; an empty object when it may be sent. */
export function check({ number, expiry, cvc }) {
  const problems = {};
  const n = digits(number);
  if (!luhn(n)) problems.number = 'This card number is not valid: check the digits.';
  const e = parseExpiry(expiry);
  if (!e) problems.expiry = 'Enter the expiry date as MM/YY.';
  else if (expired(e)) problems.expiry = 'This card has expired.';
  if (!/^\d{3,4}$/.test(String(cvc).trim())) problems.cvc = 'The security code is the 3 or 4 digits on the back.';
  return problems;
}

export const TEST_CARDS = [
  ['4242 4242 4242 4242', 'succeeds'],
  ['4000 0000 0000 0002', 'is declined'],
  ['4000 0000 0000 9995', 'is declined: insufficient funds'],
  ['4000 0000 0000 0119', 'fails with a processor error'],
];
