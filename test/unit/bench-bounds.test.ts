// The benchmark's bounds: from the floor, the registry alone and a bare dump, how fast rows 2-2d,
// 3, 3b and 6 could be in the same run, and whether their targets are within that.
import { describe, expect, it } from 'vitest';
import { boundsOf, formatBounds } from '../../src/testbed/bench-bounds.js';
import type { Row } from '../../src/testbed/bench-table.js';

const row = (id: string, figures: Record<string, number>): Row => ({ id, scenario: id, result: '', figures });

describe('bench bounds', () => {
  it('combines the floor and the registry alone as costs that add up', () => {
    const bounds = boundsOf(
      [row('1', { perSecond: 20_000 }), row('7b', { fullPerSecond: 8_000 }), row('7e', { perSecond: 20_000 }), row('7f', { perSecond: 10_000 }), row('7c', { seconds: 1.2 }), row('7d', { seconds: 0.9 }), row('6', { bareDumpSeconds: 0.55 })],
      { requests: 10_000 },
    );
    expect(bounds.map((b) => [b.rows, b.bound, b.reachable])).toEqual([
      ['2, 2b', '≤ 0.29 × floor', false],
      ['2c', '≤ 0.50 × floor', true],
      ['2d', '≤ 0.33 × floor', false],
      ['3', '≥ 1.70 s', true],
      ['3b', '≥ 0.90 s', false],
      ['6', '≥ 0.55 s', true],
    ]);
    expect(formatBounds(bounds)).toMatch(/^- row 3b: ≥ 0\.90 s \(row 7d.*\); target ≤ 0\.4 s: OUT OF REACH in this run$/m);
    expect(formatBounds(bounds)).toMatch(/^- row 3: ≥ 1\.70 s .*: within the bound$/m);
    expect(formatBounds(bounds)).toMatch(/^- row 2d: ≤ 0\.33 × floor \(row 1's request \(20,000\/s\) plus row 7f's registry share of a connect \(10,000\/s\)\); target ≥ 0\.4 × floor: OUT OF REACH in this run$/m);
  });

  it('a registry fast enough leaves the targets within reach', () => {
    const bounds = boundsOf([row('1', { perSecond: 10_000 }), row('7b', { fullPerSecond: 30_000 }), row('7d', { seconds: 0.3 })], { requests: 10_000 });
    expect(bounds.map((b) => [b.rows, b.reachable])).toEqual([
      ['2, 2b', true],
      ['3b', true],
    ]);
  });

  it('says nothing when the rows it needs did not run', () => {
    expect(boundsOf([row('1', { perSecond: 10_000 })], { requests: 10_000 })).toEqual([]);
    expect(formatBounds([])).toBe('');
  });
});
