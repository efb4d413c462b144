// `npm run bench [-- --quick] [-- --json]`: measures wgnode beside the limits of this machine, in
// one run, and prints one table. Servers run in child processes; autocannon runs here. The real
// interface rows need root (wireguard-go, src/testbed: rows 3, 3b, 4 and 6 in the host's namespace); without
// it they say why and are skipped. See scripts/bench/*.ts for each row.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { measureDurability } from './bench/durability.js';
import { measureFleet } from './bench/fleet.js';
import { measureHttp } from './bench/http.js';
import { parseOptions } from './bench/options.js';
import { measureReconcile } from './bench/reconcile.js';
import { measureRegistryScale } from './bench/registry-scale.js';
import { measureRevocation } from './bench/revoke.js';
import { boundsOf, formatBounds } from '../src/testbed/bench-bounds.js';
import { formatTable, rowsWithProblems, skipped, type Row } from '../src/testbed/bench-table.js';
import { privilegeProblem, startHostInterface } from '../src/testbed/index.js';

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const { sizes } = options;
  const dir = mkdtempSync(join(tmpdir(), 'wgnode-bench-'));
  const rows: Row[] = [];
  const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);
  /** A scenario that throws becomes a row that says so; the others still run. */
  const wanted = (group: string) => options.only.size === 0 || options.only.has(group);
  const attempt = async (ids: string[], name: string, run: () => Promise<Row[]>) => {
    progress(`${name}…`);
    try {
      rows.push(...(await run()));
    } catch (error) {
      for (const id of ids) rows.push({ id, scenario: name, result: 'failed', met: false, problems: [(error as Error).message.split('\n')[0] ?? 'failed'] });
    }
  };

  try {
    if (wanted('http')) await attempt(['1', '2', '2b', '2c', '2d'], 'HTTP floor and the mutations\' throughput', () => measureHttp(dir, sizes.http));
    if (wanted('registry')) await attempt(['5'], 'registry scale', () => measureRegistryScale(dir, sizes.registry));
    if (wanted('durability')) await attempt(['7', '7b', '7c', '7d', '7e', '7f'], 'durability, and the registry alone in the shapes of rows 2c, 2d, 3 and 3b', () => measureDurability(dir, sizes.durability, sizes.revoke));
    const problem = privilegeProblem();
    // Without root the fan-out runs on the no-op command runner, and says so.
    if (wanted('fleet')) await attempt(['8', '9'], 'fleet: fan-out and change feed latency', () => measureFleet(dir, sizes.fleet, problem));
    if (!wanted('revoke') && !wanted('reconcile')) {
      // nothing real to do
    } else if (problem) {
      const real = [['4', 'single-request latency, real interface', 'revoke'], ['3', 'mass revocation, real interface', 'revoke'], ['3b', 'bulk revocation, real interface', 'revoke'], ['6', 'reconcile, real interface', 'reconcile']];
      for (const [id, name, group] of real) if (wanted(group!)) rows.push(skipped(id!, name!, problem));
    } else {
      // In the host's namespace: the agent runs `wg` itself, as on a node (no `ip netns exec`).
      const node = await startHostInterface();
      try {
        const target = { ns: null, iface: node.iface };
        if (wanted('revoke')) {
          await attempt(['4', '3', '3b'], 'real interface: latency and mass revocation', () => measureRevocation(dir, target, sizes.revoke, sizes.latency, options.quick));
          await node.recreate(); // empty again, for the reconcile row
        }
        if (wanted('reconcile')) await attempt(['6'], 'reconcile', () => measureReconcile(dir, target, sizes.reconcile));
      } finally {
        await node.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
  const bounds = boundsOf(rows, sizes.revoke);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ machine, quick: options.quick, sizes, rows, bounds }, null, 2)}\n`);
  } else {
    const boundsText = bounds.length > 0 ? `\n${formatBounds(bounds)}` : '';
    process.stdout.write(`wgnode benchmark${options.quick ? ' (--quick: tiny sizes, figures not meaningful)' : ''}\n${machine}\n\n${formatTable(rows)}\n${boundsText}`);
  }
  // Speed is reported (met / NO); anything wrong beside speed fails the run.
  const failing = rowsWithProblems(rows);
  if (failing.length > 0) process.stderr.write(`bench: problems in rows ${failing.map((r) => r.id).join(', ')} (see PROBLEM in the table)\n`);
  return failing.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
