// How fast rows 2-2d, 3, 3b and 6 could be at all, from parts measured in the same run: a request
// costs at least the floor's request (row 1) plus the registry's work alone (rows 7b-7f: the use
// case and group commit at FULL, no HTTP, no GraphQL, no `wg`); a reconcile pass costs at least
// the bare `wg show dump` timed beside it (row 6). A target beyond its bound is out
// of reach on this machine whatever the HTTP path costs (docs/performance.md, "What bounds the misses").
import { n0, n2, type Row } from './bench-table.js';
import { TARGETS } from './bench-targets.js';

export interface Bound {
  rows: string;
  /** The best the rows could do in this run. */
  bound: string;
  target: string;
  reachable: boolean;
  /** Where the bound comes from. */
  basis: string;
}

export function boundsOf(rows: readonly Row[], shape: { requests: number }): Bound[] {
  const figure = (id: string, name: string) => rows.find((r) => r.id === id)?.figures?.[name];
  const floorRate = figure('1', 'perSecond');
  const singlesSeconds = figure('7c', 'seconds');
  const bulkSeconds = figure('7d', 'seconds');
  const bareDumpSeconds = figure('6', 'bareDumpSeconds');
  const bounds: Bound[] = [];
  const throughputs = [
    { rows: '2, 2b', registry: '7b', rate: figure('7b', 'fullPerSecond'), target: TARGETS.revocationVsFloor, what: 'a revocation' },
    { rows: '2c', registry: '7e', rate: figure('7e', 'perSecond'), target: TARGETS.activationVsFloor, what: 'an activation' },
    { rows: '2d', registry: '7f', rate: figure('7f', 'perSecond'), target: TARGETS.activationVsFloor, what: 'a connect' },
  ];
  for (const t of throughputs) {
    if (floorRate === undefined || t.rate === undefined) continue;
    // Rates combine as costs add: 1/rate = 1/floor + 1/registry.
    const ceiling = t.rate / (floorRate + t.rate);
    bounds.push({
      rows: t.rows,
      bound: `≤ ${n2(ceiling)} × floor`,
      target: `≥ ${t.target} × floor`,
      reachable: ceiling >= t.target,
      basis: `row 1's request (${n0(floorRate)}/s) plus row ${t.registry}'s registry share of ${t.what} (${n0(t.rate)}/s)`,
    });
  }
  if (floorRate !== undefined && singlesSeconds !== undefined) {
    const least = singlesSeconds + shape.requests / floorRate;
    bounds.push({
      rows: '3',
      bound: `≥ ${n2(least)} s`,
      target: `≤ ${TARGETS.massSeconds} s`,
      reachable: least <= TARGETS.massSeconds,
      basis: `row 7c (${n2(singlesSeconds)} s of registry alone) plus ${n0(shape.requests)} floor requests (row 1)`,
    });
  }
  if (bulkSeconds !== undefined) {
    bounds.push({ rows: '3b', bound: `≥ ${n2(bulkSeconds)} s`, target: `≤ ${TARGETS.bulkSeconds} s`, reachable: bulkSeconds <= TARGETS.bulkSeconds, basis: 'row 7d: the registry alone, before any HTTP or `wg`' });
  }
  if (bareDumpSeconds !== undefined) {
    bounds.push({ rows: '6', bound: `≥ ${n2(bareDumpSeconds)} s`, target: `≤ ${TARGETS.passSeconds} s`, reachable: bareDumpSeconds <= TARGETS.passSeconds, basis: 'the bare `wg show dump` beside it, before the agent reads or writes a row' });
  }
  return bounds;
}

export function formatBounds(bounds: readonly Bound[]): string {
  if (bounds.length === 0) return '';
  const lines = bounds.map((b) => `- row${b.rows.includes(',') ? 's' : ''} ${b.rows}: ${b.bound} (${b.basis}); target ${b.target}: ${b.reachable ? 'within the bound' : 'OUT OF REACH in this run'}`);
  return `Bounds from this run (the best a row could do if all but the parts measured alone cost nothing):\n${lines.join('\n')}\n`;
}
