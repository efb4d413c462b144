// Checks on values the GraphQL types cannot express, done before anything is written.
import { errors } from './errors.js';

const MAX_REASON_LENGTH = 500;

export function checkId(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw errors.badInput(`${name} must be a positive integer`);
}

export function checkReason(reason: string | null | undefined): string | null {
  if (reason == null) return null;
  if (reason.length > MAX_REASON_LENGTH) throw errors.badInput(`reason must be at most ${MAX_REASON_LENGTH} characters`);
  // Control characters would garble logs and terminals (C1 holds a CSI, U+009B); bidi overrides
  // would make an audit line read differently from what it says. Other Unicode is welcome.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(reason)) {
    throw errors.badInput('reason must not contain control characters');
  }
  return reason.trim() === '' ? null : reason;
}
