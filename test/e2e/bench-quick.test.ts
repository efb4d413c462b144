// `npm run bench -- --quick` must keep working: it runs every scenario at tiny sizes and prints
// a table with every row, and exits 1 on any problem beside speed (peers left, an unexpected
// status or GraphQL error, an unexpected reconcile report). No speed is asserted here.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { privilegeProblem } from '../../src/testbed/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROWS = ['1', '2', '2b', '2c', '2d', '3', '3b', '4', '5', '6', '7', '7b', '7c', '7d', '7e', '7f', '8', '9'];
const problem = privilegeProblem();
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';

const bench = (args: string[]) =>
  execa(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--quick', ...args], { cwd: ROOT, reject: false, timeout: 280_000 });

describe('npm run bench -- --quick', () => {
  it('runs every scenario and prints one table with every row', async () => {
    // In CI the real-interface rows must run: a runner without root is broken, not a reason to skip.
    if (problem !== null && inCi) throw new Error(`CI cannot run the benchmark's real-interface rows: ${problem}`);
    const result = await bench([]);
    expect(result.stdout).not.toMatch(/PROBLEM/);
    expect(result.exitCode, result.stderr).toBe(0);
    const rowIds = [...result.stdout.matchAll(/^\| (\w+) \| /gm)].map((m) => m[1]).filter((id) => id !== '#');
    expect(rowIds).toEqual(ROWS);
    expect(result.stdout).not.toMatch(/\| failed \|/);
    if (problem === null) expect(result.stdout).not.toMatch(/skipped:/);
    else expect(result.stdout).toMatch(/skipped: /);
    // The bounds computed from the floor and the registry alone, one line for each target they bound.
    expect(result.stdout).toMatch(/^Bounds from this run/m);
    expect(result.stdout.match(/^- rows? (2, 2b|3|3b|6): /gm)).toHaveLength(problem === null ? 4 : 3);
    // Every measured row carries figures.
    for (const line of result.stdout.split('\n').filter((l) => /^\| \d/.test(l) && !l.includes('skipped'))) {
      expect(line).toMatch(/\d+(\.\d+)? (ms|s|req\/s)/);
    }
  }, 300_000);

  it('--json prints the rows as JSON', async () => {
    const result = await bench(['--json', '--only=http']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { machine: string; quick: boolean; rows: Array<{ id: string; result: string }> };
    expect(report.quick).toBe(true);
    expect(report.rows.map((r) => r.id)).toEqual(['1', '2', '2b', '2c', '2d']);
    expect(report.rows[1]!.result).toMatch(/req\/s/);
  }, 300_000);

  it('refuses an unknown option', async () => {
    const result = await bench(['--fast']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/unknown option --fast/);
  }, 60_000);
});
