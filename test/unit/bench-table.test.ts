// The benchmark's verdicts: speed is reported (met / NO); a problem beside speed fails the run.
import { describe, expect, it } from 'vitest';
import { metWithout, rowsWithProblems, unexpectedProblems, formatTable, type Row } from '../../src/testbed/bench-table.js';

describe('bench table', () => {
  const fast: Row = { id: '2', scenario: 'x', result: '9,000 req/s', target: '≥ 0.5 × floor', met: true, problems: [] };

  it('a row with unexpected answers is a problem, is not met however fast, and fails the run', () => {
    const problems = unexpectedProblems({ 503: 2, 'graphql errors': 1 });
    expect(problems).toEqual(['unexpected: 2 × 503, 1 × graphql errors']);
    expect(metWithout(problems, true)).toBe(false);
    const bad: Row = { ...fast, met: metWithout(problems, true), problems };
    expect(rowsWithProblems([fast, bad])).toEqual([bad]);
    expect(formatTable([bad])).toMatch(/PROBLEM: unexpected: 2 × 503, 1 × graphql errors \| .* \| NO \|$/m);
  });

  it('a slow row without problems is reported as missed and does not fail the run', () => {
    const slow: Row = { ...fast, met: metWithout([], false) };
    expect(rowsWithProblems([slow])).toEqual([]);
    expect(formatTable([slow])).toMatch(/\| NO \|$/m);
    expect(formatTable([slow])).not.toMatch(/PROBLEM/);
  });
});
