// The server under test, in its own process (the load generator is the parent: two event loops,
// one core each). Kinds: `floor` (bare Hono, fixed JSON body: the ceiling for any request here)
// and `agent` (the real composition, src/agent.ts, with the real or a no-op command runner).
// Talks to the parent over IPC: {ready, port} first, then answers {id, cmd} messages.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAgent, type ComposedAgent } from '../../src/agent.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import type { CommandRunner } from '../../src/wireguard/runner.js';

/** retention: start history retention's background pruning (a benchmark agent runs no timers otherwise). */
export type ServerSpec = { kind: 'floor' } | { kind: 'agent'; env: Record<string, string>; noopRunner: boolean; retention?: boolean };
export const FLOOR_BODY = { data: { disconnectByUserIdAndDeviceId: true } };

/** Every command succeeds at once: what is left is HTTP + GraphQL + SQLite. */
const noopRunner: CommandRunner = { run: () => Promise.resolve({ stdout: '' }) };

const spec = JSON.parse(process.env.BENCH_SERVER ?? '{"kind":"floor"}') as ServerSpec;
let agent: ComposedAgent | null = null;
let floor: ServerType | null = null;
if (spec.kind === 'floor') {
  const app = new Hono();
  app.post('/graphql', (c) => c.json(FLOOR_BODY));
  floor = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => process.send?.({ ready: true, port: info.port }));
} else {
  // Started as `wgnode serve` starts it, but for the reconcile passes: the benchmark runs and times those itself.
  agent = createAgent(loadConfig({ WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', ...spec.env }), {
    log: silentLogger,
    runner: spec.noopRunner ? noopRunner : undefined,
  });
  const { port } = await agent.start({ reconcile: false });
  if (spec.retention) agent.retention.start();
  process.send?.({ ready: true, port });
}

// A benchmark that dies (Ctrl-C, a crash) must not leave its servers running.
process.on('disconnect', () => process.exit(0));

// Each sample of the histogram is the time from one run of its 10 ms timer to the next, so an idle
// loop records ~10.1 ms: the delay (what a request waits) is what a sample exceeds the interval by.
const LOOP_SAMPLE_MS = 10;
const lateMs = (sampleNs: number) => Math.max(0, sampleNs / 1e6 - LOOP_SAMPLE_MS);

type Command = { id: number; cmd: 'reconcile' | 'stats' | 'stop' };

process.on('message', (message: Command) => {
  void handle(message.cmd).then(
    (result) => process.send?.({ id: message.id, ok: true, result }),
    (error: unknown) => process.send?.({ id: message.id, ok: false, error: String((error as Error)?.stack ?? error) }),
  );
});

async function handle(cmd: Command['cmd']): Promise<unknown> {
  if (cmd === 'stats') return stats();
  if (cmd === 'stop') {
    floor?.close();
    await agent?.stop();
    setImmediate(() => process.exit(0));
    return null;
  }
  if (!agent) throw new Error('no agent in this server');
  // One pass, with the event loop's delay sampled every 10 ms while it runs.
  const delay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  delay.enable();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await agent.reconciler.runOnce();
  const wallMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  delay.disable();
  return { wallMs, cpuMs: (user + system) / 1000, report, loopDelayP99Ms: lateMs(delay.percentile(99)), loopDelayMaxMs: lateMs(delay.max), ...stats() };
}

function stats() {
  const cpu = process.cpuUsage();
  return { peakRssMb: process.resourceUsage().maxRSS / 1024, rssMb: process.memoryUsage().rss / 2 ** 20, cpuUs: cpu.user + cpu.system };
}
