// The CLI's pure formatting and option parsing: relative times, tables with colour, --since.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createStyle, formatBytes, formatTable, relativeTime } from '../../src/cli/format.js';
import { parseSince, parseStatus } from '../../src/cli/options.js';

const NOW = Date.parse('2026-11-23T03:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('relativeTime', () => {
  it.each([
    [5_000, 'just now'],
    [42_000, '42 s ago'],
    [3 * 60_000, '3 min ago'],
    [2 * 3_600_000, '2 h ago'],
    [5 * 86_400_000, '5 d ago'],
    [-3 * 60_000, 'in 3 min'],
  ])('%i ms back reads %s', (ms, text) => {
    expect(relativeTime(ago(ms), NOW)).toBe(text);
  });

  it('shows - for no time', () => {
    expect(relativeTime(null, NOW)).toBe('-');
  });
});

describe('formatTable', () => {
  it('aligns columns by visible width, ignoring colour codes', () => {
    const style = createStyle(true);
    const text = formatTable(['A', 'STATUS', 'Z'], [['1', style.green('ACTIVE'), 'x'], ['22', 'ENDED', 'y']]);
    const plain = stripVTControlCharacters(text);
    expect(plain).toBe('A   STATUS  Z\n1   ACTIVE  x\n22  ENDED   y\n');
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(5 * 1024 * 1024)]).toEqual(['512 B', '2.0 KiB', '5.0 MiB']);
  });
});

describe('option parsers', () => {
  it('--since takes a duration back from now or an ISO time', () => {
    const since = parseSince(() => NOW);
    expect(since('15m')).toBe('2026-11-23T02:45:00.000Z');
    expect(since('2d')).toBe('2026-11-21T03:00:00.000Z');
    expect(since('2026-11-20T10:00:00Z')).toBe('2026-11-20T10:00:00.000Z');
    expect(() => since('yesterday')).toThrow(/ISO 8601/);
  });

  it('--status accepts any case and all', () => {
    expect(parseStatus('ending')).toBe('ENDING');
    expect(parseStatus('ALL')).toBe('all');
    expect(() => parseStatus('gone')).toThrow();
  });
});
