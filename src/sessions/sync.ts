// Desired state from the control plane: "these devices must be ACTIVE, those DEACTIVATED" (and,
// with `complete`, "every other device must be DEACTIVATED"). The node changes only what differs,
// so applying the same list twice changes nothing the second time. Intent first, as everywhere:
// every change is recorded (in bounded batches, one transaction each) before the removals go out
// together through the coalescer; each item answers for itself.
import type { DeviceStatus } from '../registry/index.js';
import type { DeviceRef } from './bulk.js';
import { stageActivation } from './connect.js';
import type { Actor, UseCaseDeps } from './deps.js';
import { DomainError, errors } from './errors.js';
import { enforceRemovals, type StagedRemoval } from './removal.js';
import { stageDeactivation, type RevokeRequest } from './revoke.js';
import { inGroupTransaction, isRefusal } from './transactions.js';
import { checkId, checkReason } from './validate.js';

/** A node's whole list of devices fits (the address pool holds at most 65 534 live sessions). */
export const MAX_SYNC_ITEMS = 100_000;

/** Why a device outside a complete list is deactivated, when the caller gives no reason. */
const UNLISTED_REASON = "not in the control plane's list";

/** Devices looked at per transaction: other requests get their turn between batches. */
export const SYNC_BATCH = 500;

interface DeviceState extends DeviceRef {
  status: DeviceStatus;
}

export type SyncOutcome = DeviceRef & { changed: boolean } & ({ ok: true } | { ok: false; error: DomainError });

export interface SyncReport {
  /** One per item, in the order given. */
  items: SyncOutcome[];
  /** Devices outside a complete list that this call deactivated (or retried the removal of). */
  unlisted: SyncOutcome[];
}

/** A recorded removal and the answer it settles. */
interface Staged {
  target: SyncOutcome;
  removal: StagedRemoval;
}
type Changed = Omit<Staged, 'removal'> & { removal?: StagedRemoval };

export interface SyncRequest {
  actor: Actor;
  items: readonly DeviceState[];
  complete?: boolean | null;
  reason?: string | null;
}

export async function syncDevices(deps: UseCaseDeps, request: SyncRequest): Promise<SyncReport> {
  const { actor, items } = request;
  const complete = request.complete === true;
  const reason = checkReason(request.reason);
  const checked = checkItems(items, complete);
  const now = (deps.now ?? Date.now)();
  const outcomes: SyncOutcome[] = checked.map((item) => (item.check.ok ? answer(item, false) : answer(item, false, item.check.error)));
  const unlisted: SyncOutcome[] = [];
  const staged: Staged[] = [];
  // Sessions an earlier item of this call already removes: a repeated item is not its retry.
  const claimed = new Set<number>();

  const stageFailure = await stageAll(async () => {
    // Deactivations first: a list that swaps a user's devices must not hit the device limit.
    const wanted = (status: DeviceStatus) => checked.flatMap((item, index) => (outcomes[index]!.ok && item.status === status ? [index] : []));
    for (const batch of chunks(wanted('DEACTIVATED'), SYNC_BATCH)) {
      const recorded = await inGroupTransaction(deps, () =>
        batch.flatMap((index) => {
          const item = checked[index]!;
          const result = deactivationOf(deps, { actor, userId: item.userId, deviceId: item.deviceId, reason, claimed }, now);
          if (!result) return [];
          const outcome = (outcomes[index] = answer(item, true, result.error));
          return result.removal ? [{ target: outcome, removal: result.removal }] : [];
        }),
      );
      // Only once committed: a removal is never sent for an intent that was rolled back.
      staged.push(...recorded);
    }
    if (complete) await sweepUnlisted(deps, { actor, reason: reason ?? UNLISTED_REASON, listed: listedKeys(checked), now, claimed }, unlisted, staged);
    for (const batch of chunks(wanted('ACTIVE'), SYNC_BATCH)) {
      await inGroupTransaction(deps, () => {
        for (const index of batch) {
          const item = checked[index]!;
          const result = stageActivation(deps, { actor, userId: item.userId, deviceId: item.deviceId }, now);
          outcomes[index] = isRefusal(result) ? answer(item, false, result.refused) : answer(item, result.changed);
        }
      });
    }
  });

  // Whatever was recorded goes out, even when a later batch could not commit.
  const failures = staged.length === 0 ? [] : await enforceRemovals(deps, staged.map((s) => s.removal));
  staged.forEach(({ target }, k) => {
    const failure = failures[k];
    // The answer objects are shared with the lists the caller gets: settle them in place.
    if (failure) Object.assign(target, { ok: false, error: failure });
  });
  await recordSummary(deps, { actor, now, reason, complete, outcomes, unlisted, failed: stageFailure !== null });
  if (stageFailure) throw stageFailure;
  return { items: outcomes, unlisted };
}

/** Deactivates, batch by batch, every device outside the list that is ACTIVE or still has live peers. */
async function sweepUnlisted(
  deps: UseCaseDeps,
  context: { actor: Actor; reason: string; listed: ReadonlySet<string>; now: number; claimed: Set<number> },
  unlisted: SyncOutcome[],
  staged: Staged[],
): Promise<void> {
  let after: DeviceRef | null = null;
  for (;;) {
    const page = await inGroupTransaction(deps, () => {
      const devices = deps.registry.devices.activeOrLivePage(after, SYNC_BATCH);
      const changed: Changed[] = [];
      for (const device of devices) {
        if (context.listed.has(keyOf(device))) continue;
        const result = deactivationOf(deps, { ...context, ...device }, context.now);
        if (result) changed.push({ target: answer(device, true, result.error), removal: result.removal });
      }
      return { devices, changed };
    });
    // Only once committed, as above.
    unlisted.push(...page.changed.map((c) => c.target));
    staged.push(...page.changed.filter((c): c is Staged => c.removal !== undefined));
    if (page.devices.length < SYNC_BATCH) return;
    after = page.devices.at(-1)!;
  }
}

/**
 * Inside a transaction: brings a device to DEACTIVATED (ending its sessions), or retries the
 * removal of peers an earlier deactivation left ENDING (revoke.ts's safe-retry rule). Null when the
 * device already is as wanted (or unknown: it is not active either), so nothing is audited.
 */
function deactivationOf(
  deps: UseCaseDeps,
  request: RevokeRequest & { claimed: Set<number> },
  now: number,
): { removal?: StagedRemoval; error?: DomainError } | null {
  const { registry } = deps;
  const device = registry.devices.get(request.userId, request.deviceId);
  if (!device) return null;
  const live = registry.sessions.liveByDevice(request.userId, request.deviceId).filter((s) => !request.claimed.has(s.id));
  if (device.status === 'DEACTIVATED' && live.length === 0) return null;
  const result = stageDeactivation(deps, request, now);
  if (isRefusal(result)) return { error: result.refused };
  result.ending.forEach((s) => request.claimed.add(s.id));
  return { removal: result };
}

/** Runs the staging; a failure (the registry could not commit) is returned, so the staged removals still go out. */
async function stageAll(stage: () => Promise<void>): Promise<Error | null> {
  try {
    await stage();
    return null;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** One audit row for the call, whatever it changed: what the control plane asked and what came of it. */
async function recordSummary(
  deps: UseCaseDeps,
  summary: { actor: Actor; now: number; reason: string | null; complete: boolean; outcomes: SyncOutcome[]; unlisted: SyncOutcome[]; failed: boolean },
): Promise<void> {
  const { outcomes, unlisted } = summary;
  const count = (list: SyncOutcome[], test: (o: SyncOutcome) => boolean) => list.filter(test).length;
  const detail = JSON.stringify({
    items: outcomes.length,
    changed: count(outcomes, (o) => o.changed),
    refused: count(outcomes, (o) => !o.ok && o.error.status !== 503),
    pending: count(outcomes, (o) => !o.ok && o.error.status === 503) + count(unlisted, (o) => !o.ok),
    complete: summary.complete,
    unlisted: unlisted.length,
  });
  const pending = summary.failed || outcomes.some((o) => !o.ok && o.error.status === 503) || unlisted.some((o) => !o.ok);
  try {
    await inGroupTransaction(deps, () =>
      deps.registry.audit.record({ at: summary.now, actor: summary.actor, action: 'sync', reason: summary.reason, outcome: pending ? 'pending' : 'ok', detail }),
    );
  } catch (error) {
    // The per-device rows are written; a missing summary must not hide the answers from the caller.
    deps.log.error({ err: error }, 'the sync summary audit row could not be written');
  }
}

interface CheckedItem extends DeviceState {
  check: { ok: true } | { ok: false; error: DomainError };
}

/**
 * Bad ids fail alone, as in the other bulk mutations, but not in a complete list: the list states
 * the whole node, and a broken one must not deactivate every other device. The same device with
 * two different statuses is a contradiction, never a guess.
 */
function checkItems(items: readonly DeviceState[], complete: boolean): CheckedItem[] {
  if (items.length > MAX_SYNC_ITEMS) {
    throw errors.badInput(`items must hold at most ${MAX_SYNC_ITEMS} devices (got ${items.length})`);
  }
  const statusOf = new Map<string, DeviceStatus>();
  return items.map((item, index) => {
    const check = checkIds(item);
    if (!check.ok && complete) throw errors.badInput(`items[${index}]: ${check.error.message} (a complete list must be valid as a whole)`);
    const key = keyOf(item);
    const seen = statusOf.get(key);
    if (seen !== undefined && seen !== item.status) {
      throw errors.badInput(`items[${index}]: device ${item.userId}/${item.deviceId} is listed as both ${seen} and ${item.status}`);
    }
    statusOf.set(key, item.status);
    return { ...item, check };
  });
}

function checkIds(item: DeviceRef): { ok: true } | { ok: false; error: DomainError } {
  try {
    checkId('userId', item.userId);
    checkId('deviceId', item.deviceId);
    return { ok: true };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error };
    throw error;
  }
}

function answer(ref: DeviceRef, changed: boolean, error?: DomainError): SyncOutcome {
  const { userId, deviceId } = ref;
  return error ? { userId, deviceId, changed, ok: false, error } : { userId, deviceId, changed, ok: true };
}

const keyOf = (ref: DeviceRef) => `${ref.userId}/${ref.deviceId}`;
const listedKeys = (items: readonly DeviceRef[]) => new Set(items.map(keyOf));

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
