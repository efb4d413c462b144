// Option parsers for commander: a bad value is a usage error (exit 2) that names the option.
import { InvalidArgumentError } from 'commander';
import { ID_PATTERN } from '../api-limits.js';

export function parseId(value: string): number {
  if (!ID_PATTERN.test(value)) throw new InvalidArgumentError('must be a positive whole number');
  return Number(value);
}

export function parseLimit(max: number) {
  return (value: string): number => {
    const n = parseId(value);
    if (n > max) throw new InvalidArgumentError(`must be at most ${max}`);
    return n;
  };
}

const SESSION_STATUSES = ['ACTIVE', 'ENDING', 'ENDED'] as const;

/** ACTIVE | ENDING | ENDED (any case), or `all` for no status filter. */
export function parseStatus(value: string): string {
  const upper = value.toUpperCase();
  if (upper === 'ALL') return 'all';
  if (!(SESSION_STATUSES as readonly string[]).includes(upper)) throw new InvalidArgumentError('must be ACTIVE, ENDING, ENDED or all');
  return upper;
}

/**
 * A point in time for --since: an ISO 8601 date or time (2026-11-23, 2026-11-23T03:00:00Z), or a
 * duration back from now (90s, 15m, 2h, 7d). Returns ISO 8601.
 */
export function parseSince(now: () => number) {
  return (value: string): string => {
    const duration = /^(\d{1,9})(s|m|h|d)$/.exec(value);
    if (duration) {
      const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 's' | 'm' | 'h' | 'd'];
      return new Date(now() - Number(duration[1]) * unit).toISOString();
    }
    const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) throw new InvalidArgumentError('must be an ISO 8601 time (2026-11-23T03:00:00Z) or a duration like 15m, 2h, 7d');
    return new Date(ms).toISOString();
  };
}

/** A session ID as the API issues it. */
export function parseSessionId(value: string): string {
  parseId(value);
  return value;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration such as 90, 90s, 10m, 2h or 1d, in seconds. */
export function parseDurationS(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be a duration such as 90s, 10m, 2h or 1d');
  return Number(match[1]) * DURATION_UNITS[match[2] || 's']!;
}
