// Command line and sizes. --quick shrinks everything to seconds (the test runs it so the
// benchmark cannot rot); the full sizes are the ones the issue's targets are stated for.
export interface Sizes {
  /** Rows 1-2: requests measured (after `warm` warm-up requests) at `connections`. */
  http: { requests: number; warm: number; connections: number };
  /** Row 3: peers on the interface, deactivations at `connections`, and the bulk mutation's items. */
  revoke: { peers: number; requests: number; connections: number; bulkItems: number };
  /** Row 4: sequential connects, then disconnects, on an idle node. */
  latency: { requests: number };
  /** Row 5: ENDED sessions (and as many audit rows) and live sessions of the big registry; requests measured on each run. */
  registry: { ended: number; active: number; requests: number; warm: number; connections: number };
  /** Row 6: peers on the interface for one reconcile pass; `drift` missing + `drift` unknown. */
  reconcile: { peers: number; drift: number };
  /** Row 7: revocations per sync mode (NORMAL, FULL) and concurrency (1, 64), registry only. */
  durability: { requests: number };
  /** Rows 8-9: node processes for the fan-out and its repeats; mutations timed through the feed. */
  fleet: { nodes: number; fanOutRepeats: number; feedRepeats: number };
}

export interface BenchOptions {
  quick: boolean;
  json: boolean;
  /** Scenario groups to run (http, registry, revoke, reconcile, durability, fleet); all when empty. */
  only: ReadonlySet<string>;
  sizes: Sizes;
}

const FULL: Sizes = {
  http: { requests: 8_000, warm: 2_000, connections: 64 },
  revoke: { peers: 50_000, requests: 10_000, connections: 256, bulkItems: 10_000 },
  latency: { requests: 200 },
  registry: { ended: 10_000_000, active: 50_000, requests: 10_000, warm: 2_000, connections: 64 },
  reconcile: { peers: 65_000, drift: 500 },
  durability: { requests: 2_000 },
  fleet: { nodes: 16, fanOutRepeats: 100, feedRepeats: 200 },
};

const QUICK: Sizes = {
  http: { requests: 400, warm: 100, connections: 64 },
  revoke: { peers: 800, requests: 300, connections: 256, bulkItems: 100 },
  latency: { requests: 10 },
  registry: { ended: 20_000, active: 1_000, requests: 300, warm: 100, connections: 64 },
  reconcile: { peers: 1_000, drift: 20 },
  durability: { requests: 100 },
  fleet: { nodes: 3, fanOutRepeats: 5, feedRepeats: 10 },
};

const GROUPS = ['http', 'registry', 'revoke', 'reconcile', 'durability', 'fleet'];

export function parseOptions(argv: readonly string[]): BenchOptions {
  const only = new Set(argv.filter((a) => a.startsWith('--only=')).flatMap((a) => a.slice('--only='.length).split(',')));
  const unknown = argv.filter((a) => a !== '--quick' && a !== '--json' && !a.startsWith('--only='));
  const badGroup = [...only].find((g) => !GROUPS.includes(g));
  if (unknown.length > 0 || badGroup) {
    throw new Error(`unknown option ${unknown[0] ?? `--only=${badGroup}`}; usage: npm run bench -- [--quick] [--json] [--only=${GROUPS.join(',')}]`);
  }
  const quick = argv.includes('--quick');
  return { quick, json: argv.includes('--json'), only, sizes: quick ? QUICK : FULL };
}
