// Every error the API can give, in words a moviegoer understands.

import { seatList } from './format.js';

export class ApiError extends Error {
  constructor(code, message, { seats = [], retryAfter = null, requestId = null, status = 0 } = {}) {
    super(message);
    this.code = code;
    this.seats = seats;
    this.retryAfter = retryAfter;
    this.requestId = requestId;
    this.status = status;
  }
}

export function describe(error) {
  if (!error || !error.code) {
    return 'The box office cannot be reached. Check your connection and try again.';
  }
  switch (error.code) {
    case 'SEATS_UNAVAILABLE':
      return error.seats.length
        ? `Sorry, ${error.seats.length === 1 ? 'seat' : 'seats'} ${seatList(error.seats)} ${error.seats.length === 1 ? 'was' : 'were'} just taken by someone else. Please choose other seats.`
        : 'Sorry, some of these seats were just taken. Please choose other seats.';
    case 'HOLD_EXPIRED':
      return 'Your hold on these seats has run out, so they were released.';
    case 'PAYMENT_DECLINED':
      return `Your card was declined${/insufficient/i.test(error.message) ? ' for insufficient funds' : ''}. Nothing was charged: try another card while your seats are held.`;
    case 'RATE_LIMITED': {
      const wait = error.retryAfter ? `${error.retryAfter} second${error.retryAfter === 1 ? '' : 's'}` : 'a moment';
      return `Too many requests from you right now. Please wait ${wait} and try again.`;
    }
    case 'UNAUTHENTICATED':
      return 'Please sign in to continue.';
    case 'FORBIDDEN':
      return 'You are not allowed to do that.';
    case 'NOT_FOUND':
      return 'We could not find that. It may have been removed.';
    case 'BAD_USER_INPUT':
      return capitalise(error.message);
    case 'NETWORK':
      return 'The box office cannot be reached. Check your connection and try again.';
    default:
      return `Something went wrong on our side. Please try again; if it keeps happening, quote request id ${error.requestId || 'unknown'}.`;
  }
}

function capitalise(text) {
  const t = String(text || 'That did not work.');
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}
