// The drain deadline: while the node drains with a deadline, every step ends a batch of the
// remaining ACTIVE sessions (reason "drained"), sized so the last batch goes at the deadline:
// ceil(remaining / steps left). Clients reconnect to other nodes a few at a time instead of all at
// once. Through the ordinary disconnect path: intent first, removals coalesced.
import { DRAIN_ACTOR } from '../actors.js';
import type { UseCaseDeps } from './deps.js';
import { readDrainState } from './drain.js';
import { disconnectSession } from './revoke.js';

/** How often a batch goes. */
const DRAIN_STEP_MS = 5_000;
const DRAINED_REASON = 'drained';

export interface Drainer {
  /** One step: ends this step's batch; returns how many sessions it ended. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createDrainer(deps: UseCaseDeps, options: { stepMs?: number } = {}): Drainer {
  const stepMs = options.stepMs ?? DRAIN_STEP_MS;
  const now = deps.now ?? Date.now;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = false;

  async function step(): Promise<number> {
    const state = readDrainState(deps.registry);
    if (!state || state.deadline === null) return 0;
    const remaining = deps.registry.sessions.count({ status: 'ACTIVE' });
    if (remaining === 0) return 0;
    const stepsLeft = Math.max(1, Math.ceil((state.deadline - now()) / stepMs));
    const batch = deps.registry.sessions.list({ status: 'ACTIVE' }, Math.ceil(remaining / stepsLeft), null);
    const results = await Promise.allSettled(
      batch.map((s) => disconnectSession(deps, { actor: DRAIN_ACTOR, sessionId: s.id, reason: DRAINED_REASON })),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    // Unconfirmed removals stay ENDING: the reconciler finishes them, and the next step moves on.
    if (failed.length > 0) deps.log.warn({ err: failed[0]!.reason as unknown, failed: failed.length }, 'drain: some sessions could not be ended yet');
    return results.length - failed.length;
  }

  function runOnce(): Promise<number> {
    running ??= step().finally(() => (running = null));
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((error: unknown) => deps.log.error({ err: error }, 'drain step failed; retrying next step'))
        .finally(schedule);
    }, stepMs);
    timer.unref();
  }

  return {
    runOnce,
    start() {
      if (timer || stopped) return;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
