// The agent as a black box: its GraphQL operations, classified answers, and what the soak
// observes of the registry (over GraphQL) and of the interface (`wg show IFACE dump`).
import { execa } from 'execa';
import type { WgnodeProcess } from '../wgnode-process.js';

type SessionStatus = 'ACTIVE' | 'ENDING' | 'ENDED';
export interface SessionView { id: string; userId: number; deviceId: number; publicKey: string; address: string; status: SessionStatus }
export interface Observation {
  sessions: SessionView[];
  /** `${userId}:${deviceId}` -> status, for the users the soak uses. */
  devices: Map<string, 'ACTIVE' | 'DEACTIVATED'>;
  /** Peers on the interface: public key -> allowed-ips; null when the interface is gone. */
  peers: Map<string, string> | null;
}

/** An answer: acknowledged data, a domain error code, or nothing (the connection died). */
export type Answer =
  | { kind: 'data'; status: number; data: any }
  | { kind: 'error'; status: number; code: string; message: string }
  | { kind: 'lost'; error: string };

export const deviceKey = (userId: number, deviceId: number) => `${userId}:${deviceId}`;

const Q = {
  activate: `mutation ($u: Int!, $d: Int!) { activateDevice(userId: $u, deviceId: $d) { status } }`,
  connect: `mutation ($u: Int!, $d: Int!, $k: String!) { connectDevice(userId: $u, deviceId: $d, publicKey: $k) { id address status publicKey } }`,
  disconnect: `mutation ($u: Int!, $d: Int!) { disconnectByUserIdAndDeviceId(userId: $u, deviceId: $d, reason: "soak") }`,
  deactivate: `mutation ($u: Int!, $d: Int!) { deactivateDevice(userId: $u, deviceId: $d, reason: "soak") }`,
  bulkDeactivate: `mutation ($items: [DeviceRef!]!) { bulk: deactivateDevices(items: $items, reason: "soak") { userId deviceId ok code } }`,
  bulkDisconnect: `mutation ($items: [DeviceRef!]!) { bulk: disconnectDevices(items: $items, reason: "soak") { userId deviceId ok code } }`,
  sessions: `query ($after: String) { sessions(first: 500, after: $after) { nodes { id userId deviceId publicKey address status } pageInfo { hasNextPage endCursor } } }`,
  devices: `query ($u: Int!) { devices(userId: $u) { deviceId status } }`,
  report: `{ reconcileReport { at ok } }`,
};

class UnexpectedHttp extends Error {}

/** Sends one operation; any status but 200, 400 and 503 (a 500 above all) is an invariant violation. */
async function send(agent: WgnodeProcess, query: string, variables: Record<string, unknown>): Promise<Answer> {
  let res: { status: number; body: any };
  try {
    res = await agent.gql(query, variables);
  } catch (err) {
    return { kind: 'lost', error: String((err as Error).cause ?? err) };
  }
  if (![200, 400, 503].includes(res.status)) {
    throw new UnexpectedHttp(`HTTP ${res.status} for ${query.slice(0, 60)}… ${JSON.stringify(variables)}: ${JSON.stringify(res.body)}`);
  }
  const error = res.body?.errors?.[0];
  if (res.body?.data != null && (!error || res.status !== 400)) return { kind: 'data', status: res.status, data: res.body.data };
  if (error) return { kind: 'error', status: res.status, code: String(error.extensions?.code ?? 'NO_CODE'), message: String(error.message) };
  throw new UnexpectedHttp(`HTTP ${res.status} without data or errors: ${JSON.stringify(res.body)}`);
}

export const ops = {
  activate: (a: WgnodeProcess, u: number, d: number) => send(a, Q.activate, { u, d }),
  connect: (a: WgnodeProcess, u: number, d: number, k: string) => send(a, Q.connect, { u, d, k }),
  disconnect: (a: WgnodeProcess, u: number, d: number) => send(a, Q.disconnect, { u, d }),
  deactivate: (a: WgnodeProcess, u: number, d: number) => send(a, Q.deactivate, { u, d }),
  bulk: (a: WgnodeProcess, kind: 'deactivate' | 'disconnect', items: { userId: number; deviceId: number }[]) =>
    send(a, kind === 'deactivate' ? Q.bulkDeactivate : Q.bulkDisconnect, { items }),
};

async function readOk(agent: WgnodeProcess, query: string, variables: Record<string, unknown>): Promise<any> {
  const answer = await send(agent, query, variables);
  if (answer.kind !== 'data') throw new Error(`the soak could not read the registry: ${JSON.stringify(answer)}`);
  return answer.data;
}

/** The time of the last reconcile pass, or null before the first. */
export async function lastPassAt(agent: WgnodeProcess): Promise<string | null> {
  return (await readOk(agent, Q.report, {})).reconcileReport?.at ?? null;
}

/** `wg show IFACE dump` (the real wg, not the wrapper): public key -> allowed-ips; null without the interface. */
async function interfacePeers(ns: string, iface: string): Promise<Map<string, string> | null> {
  const r = await execa('ip', ['netns', 'exec', ns, 'wg', 'show', iface, 'dump'], { reject: false });
  if (r.exitCode !== 0) return null;
  const peers = new Map<string, string>();
  for (const line of String(r.stdout).split('\n').slice(1)) {
    const [key, , , allowedIps] = line.split('\t');
    if (key) peers.set(key, allowedIps ?? '');
  }
  return peers;
}

/** The registry first, then the interface: a peer seen afterwards was added before by a live session. */
export async function observe(agent: WgnodeProcess, users: number[], ns: string, iface: string): Promise<Observation> {
  const sessions: SessionView[] = [];
  for (let after: string | null = null; ;) {
    const page: any = (await readOk(agent, Q.sessions, { after })).sessions;
    sessions.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  const devices = new Map<string, 'ACTIVE' | 'DEACTIVATED'>();
  for (const u of users) {
    for (const d of (await readOk(agent, Q.devices, { u })).devices) devices.set(deviceKey(u, d.deviceId), d.status);
  }
  return { sessions, devices, peers: await interfacePeers(ns, iface) };
}
