// The benchmark's table (scripts/bench.ts): one row per measurement, with the absolute figures,
// the ratio measured in the same run and the target; and the verdict (problems fail the run).
export interface Row {
  id: string;
  scenario: string;
  /** Absolute figures, e.g. "4,120 req/s, p50 14 ms, p99 31 ms". */
  result: string;
  /** The ratio (or key figure) the target is about, e.g. "0.62 × floor". */
  ratio?: string;
  target?: string;
  /** true met, false missed, null: no target or skipped. */
  met?: boolean | null;
  note?: string;
  /** Figures other rows' bounds are computed from (scripts/bench.ts), e.g. { perSecond: 17000 }. */
  figures?: Record<string, number>;
  /**
   * What went wrong beside speed: peers left on the interface, unexpected statuses or GraphQL
   * errors, a reconcile report other than the one expected. Any problem makes the run fail.
   */
  problems?: string[];
}

export function skipped(id: string, scenario: string, why: string): Row {
  return { id, scenario, result: `skipped: ${why}`, met: null };
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['#', 'scenario', 'result', 'ratio', 'target', 'met'];
  const lines = [header, header.map(() => '---')];
  for (const r of rows) {
    const met = r.met === true ? 'yes' : r.met === false ? 'NO' : '';
    const problems = r.problems?.length ? ` PROBLEM: ${r.problems.join('; ')}` : '';
    lines.push([r.id, r.scenario, r.result + (r.note ? ` (${r.note})` : '') + problems, r.ratio ?? '', r.target ?? '', met]);
  }
  return lines.map((cells) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`).join('\n');
}

export const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
export const n1 = (x: number) => x.toFixed(1);
export const n2 = (x: number) => x.toFixed(2);
export const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

/** "2 × 503" style summary of unexpected statuses and errors, as problems (none: []). */
export function unexpectedProblems(unexpected: Record<string, number>): string[] {
  const parts = Object.entries(unexpected).map(([status, n]) => `${n} × ${status}`);
  return parts.length ? [`unexpected: ${parts.join(', ')}`] : [];
}

/** A row's met: the target's figures, and no problem beside them. */
export const metWithout = (problems: readonly string[], figuresMet: boolean) => figuresMet && problems.length === 0;

/** Rows with a problem beside speed (a failed scenario is one): any of them fails the run. */
export const rowsWithProblems = (rows: readonly Row[]): Row[] => rows.filter((r) => (r.problems?.length ?? 0) > 0);
