// The soak's commands for fast-check's model-based runner: the operations of the API and the
// faults, each followed by an observation of the registry and the interface and the invariants.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Testbed } from '../netns.js';
import { sleep, startWgnode, waitFor, type WgnodeProcess } from '../wgnode-process.js';
import { type Answer, deviceKey, lastPassAt, type Observation, observe, ops, type SessionView } from './api.js';
import { checkInvariants, deviceState, forgetDevice, InvariantViolation, markSessions, type Model } from './model.js';
import { integrityCheck, withWriteLockHeld } from './registry-sql.js';
import { WG_MODES, type WgFault, type WgMode } from './wg-fault.js';

export const USERS = [1, 2];
const DEVICES = [1, 2];
/** Few keys, so they are reused: across devices (PUBLIC_KEY_IN_USE) and after a session ended. */
const KEY_COUNT = 6;

/** Deterministic keys (any 32 bytes are a valid WireGuard public key), so a printed sequence replays. */
const soakKey = (i: number) => createHash('sha256').update(`wgnode-soak-key-${i}`).digest('base64');

export interface SoakStats {
  steps: Record<string, number>;
  faults: Record<string, number>;
  answers: Record<string, number>;
  convergences: number;
}

export interface SoakReal {
  tb: Testbed;
  dbPath: string;
  env: Record<string, string>;
  agent: WgnodeProcess;
  wg: WgFault;
  /** The last observation, after the previous step: what the expected answers are computed from. */
  last: Observation;
  stats: SoakStats;
}

const count = (bag: Record<string, number>, key: string) => (bag[key] = (bag[key] ?? 0) + 1);

type DeviceRef = { userId: number; deviceId: number };
type Op =
  | { t: 'activate'; u: number; d: number }
  | { t: 'connect'; u: number; d: number; k: number }
  | { t: 'disconnect'; u: number; d: number }
  | { t: 'deactivate'; u: number; d: number }
  | { t: 'bulk'; kind: 'deactivate' | 'disconnect'; items: DeviceRef[] };

function describeOp(op: Op): string {
  switch (op.t) {
    case 'connect': return `connect(${op.u},${op.d},k${op.k})`;
    case 'bulk': return `bulk-${op.kind}(${op.items.map((i) => `${i.userId}:${i.deviceId}`).join(' ')})`;
    default: return `${op.t}(${op.u},${op.d})`;
  }
}

const observeNow = (real: SoakReal) => observe(real.agent, USERS, real.tb.nodeNs, real.tb.node.iface);

/** After every step: observe, check, remember the observation. */
async function afterStep(model: Model, real: SoakReal, step: string, justConnected: SessionView[] = [], raced = false): Promise<void> {
  const obs = await observeNow(real);
  const problems = checkInvariants(model, obs, { converged: false });
  const stillActive = (s: SessionView) => obs.sessions.some((o) => o.id === s.id && o.status === 'ACTIVE');
  // A connect answered 200 put its peer on before answering; in a race, a revocation may have ended it since.
  for (const s of justConnected.filter((c) => !raced || stillActive(c))) {
    const allowed = obs.peers?.get(s.publicKey);
    if (allowed !== `${s.address}/32`) problems.push(`connect of session ${s.id} answered 200, yet its peer is ${allowed === undefined ? 'not on the interface' : `at ${allowed}`}`);
  }
  if (problems.length > 0) throw new InvariantViolation(`after ${step}:\n  ${problems.join('\n  ')}\nagent output (tail):\n${real.agent.output().slice(-3000)}`);
  real.last = obs;
}

interface OpContext {
  busy: boolean;
  mayLose: boolean;
  /** Devices other operations of the same concurrent batch touch: any order is possible there. */
  shared?: Set<string>;
}

/** Every answer an operation may give when racing others (their order decides which). */
const ANY_DOMAIN_ANSWER = ['ok', 'NOT_FOUND', 'SESSION_NOT_FOUND', 'USER_NOT_FOUND', 'DEVICE_NOT_FOUND', 'DEVICE_DEACTIVATED',
  'PUBLIC_KEY_IN_USE', 'PEER_ADD_FAILED', 'REMOVAL_PENDING'];

/** The outcome's label ('ok', a code, or 'lost'), after checking it is one the model allows. */
function outcome(op: Op, answer: Answer, allowed: string[], ctx: OpContext): string {
  const label = answer.kind === 'data' ? 'ok' : answer.kind === 'error' ? answer.code : 'lost';
  const permitted = [...(ctx.shared ? ANY_DOMAIN_ANSWER : allowed), ...(ctx.busy ? ['REGISTRY_BUSY'] : []), ...(ctx.mayLose ? ['lost'] : [])];
  if (!permitted.includes(label)) {
    throw new InvariantViolation(`${describeOp(op)} answered ${JSON.stringify(answer)}; the model allows ${permitted.join(' | ')}`);
  }
  return label;
}

/** Allowed answers of a revocation of one device, and what each does to the model. */
function revocationAllowed(kind: 'deactivate' | 'disconnect', model: Model, obs: Observation, ref: DeviceRef): string[] {
  const degraded = model.wgMode !== 'pass' || !model.interfaceUp;
  const dev = deviceState(obs, ref.userId, ref.deviceId);
  // The retry rule: a revocation that finds an earlier removal unconfirmed (sessions ENDING) removes
  // those peers again and answers true once they are gone (503 again while wg fails); the
  // not-found answers only once nothing is left to remove (the reconciler may finish it first).
  const retry = (notFound: string[]) => ['ok', ...notFound, ...(degraded ? ['REMOVAL_PENDING'] : [])];
  if (kind === 'disconnect') {
    if (dev.status === undefined) return ['NOT_FOUND'];
    if (dev.active.length === 0) return dev.live.length > 0 ? retry(['SESSION_NOT_FOUND', 'NOT_FOUND']) : ['SESSION_NOT_FOUND', 'NOT_FOUND'];
    return degraded ? ['ok', 'REMOVAL_PENDING'] : ['ok'];
  }
  if (!dev.userKnown) return ['USER_NOT_FOUND'];
  if (dev.status !== 'ACTIVE') return dev.live.length > 0 ? retry(['DEVICE_NOT_FOUND']) : ['DEVICE_NOT_FOUND'];
  return degraded && dev.live.length > 0 ? ['ok', 'REMOVAL_PENDING'] : ['ok'];
}

function applyRevocation(kind: 'deactivate' | 'disconnect', label: string, model: Model, obs: Observation, ref: DeviceRef): void {
  const dev = deviceState(obs, ref.userId, ref.deviceId);
  if (label === 'ok') {
    markSessions(model, dev.active, 'revoked');
    if (kind === 'deactivate') {
      markSessions(model, dev.live.filter((s) => s.status === 'ENDING'), 'pending');
      model.devices.set(deviceKey(ref.userId, ref.deviceId), 'DEACTIVATED');
    }
  } else if (label === 'REMOVAL_PENDING') {
    // Both kinds now take every live session of the device (a retry includes the ENDING ones).
    markSessions(model, dev.live, 'pending');
    if (kind === 'deactivate') model.devices.set(deviceKey(ref.userId, ref.deviceId), 'DEACTIVATED');
  } else if (label === 'lost' || label === 'REGISTRY_BUSY') {
    forgetDevice(model, ref.userId, ref.deviceId);
  }
}

/** Sends one operation, checks its answer against the model, updates the model; returns new sessions. */
async function performOp(op: Op, model: Model, real: SoakReal, ctx: OpContext, agent = real.agent): Promise<SessionView[]> {
  const obs = real.last;
  const degraded = model.wgMode !== 'pass' || !model.interfaceUp;
  switch (op.t) {
    case 'activate': {
      const answer = await ops.activate(agent, op.u, op.d);
      const label = outcome(op, answer, ['ok'], ctx);
      count(real.stats.answers, `activate ${label}`);
      if (label === 'ok') {
        if (answer.kind === 'data' && answer.data.activateDevice.status !== 'ACTIVE') throw new InvariantViolation(`${describeOp(op)} answered ${JSON.stringify(answer.data)}`);
        if (ctx.shared?.has(deviceKey(op.u, op.d))) forgetDevice(model, op.u, op.d);
        else model.devices.set(deviceKey(op.u, op.d), 'ACTIVE');
      } else {
        forgetDevice(model, op.u, op.d);
      }
      return [];
    }
    case 'connect': {
      const key = soakKey(op.k);
      const dev = deviceState(obs, op.u, op.d);
      const holder = obs.sessions.find((s) => s.publicKey === key && s.status !== 'ENDED');
      const add = degraded ? ['ok', 'PEER_ADD_FAILED'] : ['ok'];
      const allowed = dev.status === undefined ? ['NOT_FOUND']
        : dev.status === 'DEACTIVATED' ? ['DEVICE_DEACTIVATED']
        : !holder ? add
        : holder.userId === op.u && holder.deviceId === op.d && holder.status === 'ACTIVE' ? add
        // An ENDING holder may be finished by the reconciler in the meantime: then the key is free.
        : holder.status === 'ENDING' ? ['PUBLIC_KEY_IN_USE', ...add] : ['PUBLIC_KEY_IN_USE'];
      const answer = await ops.connect(agent, op.u, op.d, key);
      const label = outcome(op, answer, allowed, ctx);
      count(real.stats.answers, `connect ${label}`);
      if (label !== 'ok' || answer.kind !== 'data') {
        // A failed retry may have ended the device's session with this key.
        if (holder && label !== 'PUBLIC_KEY_IN_USE') forgetDevice(model, op.u, op.d);
        return [];
      }
      const s = answer.data.connectDevice;
      // The answer reads the session back after the peer is added: a revocation of the same device
      // racing it may have ended the session by then (connect, then disconnect: a valid order).
      const racedOnDevice = ctx.shared?.has(deviceKey(op.u, op.d)) ?? false;
      if ((s.status !== 'ACTIVE' && !racedOnDevice) || s.publicKey !== key) throw new InvariantViolation(`${describeOp(op)} answered ${JSON.stringify(s)}`);
      const session: SessionView = { id: s.id, userId: op.u, deviceId: op.d, publicKey: key, address: s.address, status: 'ACTIVE' };
      if (!racedOnDevice) markSessions(model, [session], 'active');
      // A retry gets its ACTIVE session back without a `wg` call: its peer is the reconciler's
      // business (it may be missing right after the interface was recreated). A new one's is on now.
      return holder?.id === s.id ? [] : [session];
    }
    case 'disconnect':
    case 'deactivate': {
      const ref = { userId: op.u, deviceId: op.d };
      const allowed = revocationAllowed(op.t, model, obs, ref);
      const answer = op.t === 'disconnect' ? await ops.disconnect(agent, op.u, op.d) : await ops.deactivate(agent, op.u, op.d);
      const label = outcome(op, answer, allowed, ctx);
      count(real.stats.answers, `${op.t} ${label}`);
      if (label === 'ok' && answer.kind === 'data' && Object.values(answer.data)[0] !== true) {
        throw new InvariantViolation(`${describeOp(op)} answered ${JSON.stringify(answer.data)}`);
      }
      if (answer.kind === 'error' && answer.code === 'REMOVAL_PENDING' && answer.status !== 503) {
        throw new InvariantViolation(`${describeOp(op)} answered REMOVAL_PENDING with HTTP ${answer.status}`);
      }
      if (ctx.shared?.has(deviceKey(op.u, op.d))) forgetDevice(model, op.u, op.d);
      else applyRevocation(op.t, label, model, obs, ref);
      return [];
    }
    case 'bulk': {
      const answer = await ops.bulk(agent, op.kind, op.items);
      const label = outcome(op, answer, ['ok'], ctx);
      count(real.stats.answers, `bulk-${op.kind} ${label}`);
      if (answer.kind !== 'data') {
        for (const ref of op.items) forgetDevice(model, ref.userId, ref.deviceId);
        return [];
      }
      const results: { userId: number; deviceId: number; ok: boolean; code: string | null }[] = answer.data.bulk;
      for (const ref of op.items) {
        const r = results.find((x) => x.userId === ref.userId && x.deviceId === ref.deviceId);
        if (!r) throw new InvariantViolation(`${describeOp(op)}: no result for ${ref.userId}:${ref.deviceId} in ${JSON.stringify(results)}`);
        const itemLabel = r.ok ? 'ok' : String(r.code);
        const allowed = ctx.shared ? ANY_DOMAIN_ANSWER : revocationAllowed(op.kind, model, obs, ref);
        if (!allowed.includes(itemLabel)) {
          throw new InvariantViolation(`${describeOp(op)}: item ${ref.userId}:${ref.deviceId} answered ${itemLabel}; the model allows ${allowed.join(' | ')}`);
        }
        if (ctx.shared?.has(deviceKey(ref.userId, ref.deviceId))) forgetDevice(model, ref.userId, ref.deviceId);
        else applyRevocation(op.kind, itemLabel, model, obs, ref);
      }
      const pending = results.some((r) => r.code === 'REMOVAL_PENDING');
      if ((answer.status === 503) !== pending) throw new InvariantViolation(`${describeOp(op)}: HTTP ${answer.status} with ${JSON.stringify(results)}`);
      return [];
    }
  }
}

/** Each run starts from a populated node: every device active with one session (keys 0…), so revocations have work. */
export async function populate(model: Model, real: SoakReal): Promise<void> {
  let k = 0;
  for (const u of USERS) {
    for (const d of DEVICES) {
      real.stats.steps.populate = (real.stats.steps.populate ?? 0) + 2;
      await performOp({ t: 'activate', u, d }, model, real, { busy: false, mayLose: false });
      await afterStep(model, real, `populate: activate(${u},${d})`);
      const connected = await performOp({ t: 'connect', u, d, k: k++ }, model, real, { busy: false, mayLose: false });
      await afterStep(model, real, `populate: connect(${u},${d})`, connected);
    }
  }
}

type SoakCommand = fc.AsyncCommand<Model, SoakReal>;

class OpCommand implements SoakCommand {
  constructor(readonly op: Op) {}
  check = () => true;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, this.op.t === 'bulk' ? `bulk-${this.op.kind}` : this.op.t);
    const connected = await performOp(this.op, model, real, { busy: false, mayLose: false });
    await afterStep(model, real, this.toString(), connected);
  }
  toString = () => describeOp(this.op);
}

/** The reconciler as a step: wait for the next pass to finish (or give up after a while). */
class ReconcileCommand implements SoakCommand {
  check = () => true;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'reconcile');
    const before = await lastPassAt(real.agent);
    await waitFor(async () => (await lastPassAt(real.agent)) !== before, 5_000, 'no reconcile pass', 50).catch(() => undefined);
    await afterStep(model, real, this.toString());
  }
  toString = () => 'reconcile';
}

class WgModeCommand implements SoakCommand {
  constructor(readonly mode: WgMode) {}
  check = (model: Readonly<Model>) => model.wgMode !== this.mode;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'wg-mode');
    if (this.mode !== 'pass') count(real.stats.faults, `wg ${this.mode}`);
    real.wg.set(this.mode);
    model.wgMode = this.mode;
    await afterStep(model, real, this.toString());
  }
  toString = () => `wg(${this.mode})`;
}

class InterfaceDownCommand implements SoakCommand {
  check = (model: Readonly<Model>) => model.interfaceUp;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'interface-down');
    count(real.stats.faults, 'interface deleted');
    await real.tb.node.destroy();
    model.interfaceUp = false;
    await afterStep(model, real, this.toString());
  }
  toString = () => 'interface-down';
}

class InterfaceUpCommand implements SoakCommand {
  check = (model: Readonly<Model>) => !model.interfaceUp;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'interface-up');
    await real.tb.node.recreate();
    model.interfaceUp = true;
    await afterStep(model, real, this.toString());
  }
  toString = () => 'interface-up (recreated empty)';
}

/** kill -9 of the agent, optionally `delayMs` after sending an operation, and a restart on the same database. */
class KillCommand implements SoakCommand {
  constructor(readonly op: Op | null, readonly delayMs: number) {}
  // Also while the interface is missing: the agent must come up, report not ready, and restore later.
  check = () => true;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'kill-9');
    count(real.stats.faults, this.op ? 'kill -9 with a request in flight' : 'kill -9');
    const agent = real.agent;
    const inFlight = this.op ? performOp(this.op, model, real, { busy: false, mayLose: true }, agent) : null;
    await sleep(this.delayMs);
    await agent.kill9();
    const connected = (await inFlight) ?? [];
    real.agent = await startWgnode(real.env);
    await afterStep(model, real, this.toString(), connected);
  }
  toString = () => (this.op ? `kill-9(${this.delayMs} ms after ${describeOp(this.op)})` : 'kill-9');
}

/** A second connection holds SQLite's write lock for `holdMs` while one operation runs. */
class BusyCommand implements SoakCommand {
  constructor(readonly holdMs: number, readonly op: Op) {}
  check = () => true;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'sqlite-busy');
    count(real.stats.faults, this.holdMs >= 5000 ? 'SQLite busy (past the busy timeout)' : 'SQLite busy (short)');
    const connected = await withWriteLockHeld(real.dbPath, this.holdMs, () => performOp(this.op, model, real, { busy: true, mayLose: false }));
    await afterStep(model, real, this.toString(), connected);
  }
  toString = () => `busy(${this.holdMs} ms, ${describeOp(this.op)})`;
}

const touched = (op: Op): string[] => (op.t === 'bulk' ? op.items.map((i) => deviceKey(i.userId, i.deviceId)) : [deviceKey(op.u, op.d)]);

/** Several operations at once (the same device, the same key): what the registry's transactions must serialize. */
class RaceCommand implements SoakCommand {
  constructor(readonly ops: Op[]) {}
  check = () => true;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'race');
    const seen = new Map<string, number>();
    for (const key of this.ops.flatMap(touched)) seen.set(key, (seen.get(key) ?? 0) + 1);
    const shared = new Set([...seen].filter(([, n]) => n > 1).map(([key]) => key));
    const connected = await Promise.all(this.ops.map((op) => performOp(op, model, real, { busy: false, mayLose: false, shared })));
    await afterStep(model, real, this.toString(), connected.flat(), true);
  }
  toString = () => `race(${this.ops.map(describeOp).join(' | ')})`;
}

/** Faults off, then the registry and the interface must agree exactly, and the file be sound. */
export async function converge(model: Model, real: SoakReal, timeoutMs = 20_000): Promise<void> {
  real.wg.set('pass');
  model.wgMode = 'pass';
  if (!model.interfaceUp) {
    await real.tb.node.recreate();
    model.interfaceUp = true;
  }
  let problems: string[] = [];
  let obs: Observation | undefined;
  const converged = await waitFor(async () => {
    obs = await observeNow(real);
    problems = checkInvariants(model, obs, { converged: true });
    return problems.length === 0;
  }, timeoutMs, 'no convergence', 100).then(() => true, () => false);
  if (!converged) {
    throw new InvariantViolation(`no convergence within ${timeoutMs} ms of the faults ending:\n  ${problems.join('\n  ')}\nagent output (tail):\n${real.agent.output().slice(-3000)}`);
  }
  const integrity = integrityCheck(real.dbPath);
  if (integrity !== 'ok') throw new InvariantViolation(`PRAGMA integrity_check: ${integrity}`);
  real.last = obs!;
  real.stats.convergences++;
}

class ConvergeCommand implements SoakCommand {
  check = () => true;
  async run(model: Model, real: SoakReal) {
    count(real.stats.steps, 'converge');
    await converge(model, real);
  }
  toString = () => 'converge';
}

const user = fc.constantFrom(...USERS);
const device = fc.constantFrom(...DEVICES);
const ref = fc.record({ userId: user, deviceId: device });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('activate' as const), u: user, d: device }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('connect' as const), u: user, d: device, k: fc.integer({ min: 0, max: KEY_COUNT - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('disconnect' as const), u: user, d: device }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('deactivate' as const), u: user, d: device }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('bulk' as const),
      kind: fc.constantFrom('deactivate' as const, 'disconnect' as const),
      items: fc.uniqueArray(ref, { minLength: 1, maxLength: 4, selector: (r) => `${r.userId}:${r.deviceId}` }),
    }),
  },
);

/** The command arbitraries with their weights (as repetitions: fc.commands picks among them uniformly). */
export function commandArbitraries(): fc.Arbitrary<SoakCommand>[] {
  const weighted = (n: number, arb: fc.Arbitrary<SoakCommand>) => Array.from({ length: n }, () => arb);
  return [
    ...weighted(10, opArb.map((op) => new OpCommand(op))),
    ...weighted(2, fc.array(opArb, { minLength: 2, maxLength: 4 }).map((batch) => new RaceCommand(batch))),
    ...weighted(1, fc.constant(new ReconcileCommand())),
    ...weighted(2, fc.constantFrom(...WG_MODES).map((m) => new WgModeCommand(m))),
    ...weighted(1, fc.constant(new InterfaceDownCommand())),
    ...weighted(1, fc.constant(new InterfaceUpCommand())),
    ...weighted(1, fc.tuple(fc.option(opArb, { freq: 2 }), fc.integer({ min: 0, max: 40 })).map(([op, ms]) => new KillCommand(op, ms))),
    ...weighted(1, fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 100, max: 1500 }) }, { weight: 1, arbitrary: fc.constant(5600) }), opArb)
      .map(([ms, op]) => new BusyCommand(ms, op))),
    ...weighted(1, fc.constant(new ConvergeCommand())),
  ];
}
