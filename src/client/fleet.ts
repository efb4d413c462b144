// Many nodes, one call: each operation runs on every node (or the ones named) with bounded
// concurrency and answers one result per node — ok, the node's domain error, or unreachable after
// that node's retries — so one slow or dead node never hides the others' answers.
import { follow, pollingSource, type ChangeSource, type FollowOptions, type Follower, type PollingOptions } from './follow.js';
import type * as ops from './generated/operations.js';
import { createNodeClient, type CallOptions, type CallResult, type NodeClient, type NodeClientOptions } from './node-client.js';

export interface FleetNode extends NodeClientOptions {
  /** Unique within the fleet; names the node in every result and event. */
  name: string;
}

export interface FleetClientOptions {
  nodes: readonly FleetNode[];
  /** Calls in flight at once across the fleet (default 16). */
  concurrency?: number;
  /** Defaults for every node (timeoutMs, retry, token, tls); a node's own options win. */
  defaults?: Partial<NodeClientOptions>;
}

export type NodeResult<T> = CallResult<T> & { node: string };

export interface FleetCallOptions extends Omit<CallOptions, 'idempotencyKey'> {
  /** Only these nodes (default: all). */
  nodes?: readonly string[];
}

export interface FleetFollowOptions extends FollowOptions, PollingOptions {
  nodes?: readonly string[];
  /** Replaces polling for a node (e.g. an SSE source once nodes serve one). */
  source?: (client: NodeClient, node: string) => ChangeSource;
}

export function createFleetClient(options: FleetClientOptions) {
  const clients = new Map<string, NodeClient>();
  for (const node of options.nodes) {
    if (clients.has(node.name)) throw new Error(`two fleet nodes are named ${node.name}`);
    clients.set(node.name, createNodeClient({ ...options.defaults, ...node, retry: { ...options.defaults?.retry, ...node.retry } }));
  }
  const concurrency = Math.max(1, options.concurrency ?? 16);

  function pick(names?: readonly string[]): Array<[string, NodeClient]> {
    if (!names) return [...clients];
    return names.map((name) => {
      const client = clients.get(name);
      if (!client) throw new Error(`no fleet node is named ${name}`);
      return [name, client];
    });
  }

  /** Runs `call` on each node, at most `concurrency` at once; results in the nodes' order. */
  async function each<T>(call: (client: NodeClient, node: string) => Promise<CallResult<T>>, names?: readonly string[]): Promise<NodeResult<T>[]> {
    const targets = pick(names);
    const results = new Array<NodeResult<T>>(targets.length);
    let next = 0;
    async function worker(): Promise<void> {
      for (let i = next++; i < targets.length; i = next++) {
        const [node, client] = targets[i]!;
        results[i] = { ...(await call(client, node)), node };
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    return results;
  }

  const on = <V, T>(method: (client: NodeClient) => (v: V, c?: CallOptions) => Promise<CallResult<T>>) =>
    (variables: V, call: FleetCallOptions = {}) => each((client) => method(client)(variables, call), call.nodes);

  return {
    /** The node clients by name, for calls that concern one node (e.g. disconnectSession). */
    nodes: clients as ReadonlyMap<string, NodeClient>,
    each,
    deactivateDevice: on<ops.DeactivateDeviceMutationVariables, boolean>((c) => c.deactivateDevice),
    disconnectDevice: on<ops.DisconnectDeviceMutationVariables, boolean>((c) => c.disconnectDevice),
    deactivateDevices: on((c) => c.deactivateDevices),
    disconnectDevices: on((c) => c.disconnectDevices),
    activateDevice: on((c) => c.activateDevice),
    syncDevices: on((c) => c.syncDevices),
    /** One page of each node's feed; `after` per node name. */
    changes: (args: { after?: Readonly<Record<string, string | null>>; first?: number } = {}, call: FleetCallOptions = {}) =>
      each((client, node) => client.changes({ after: args.after?.[node] ?? null, first: args.first ?? null }, call), call.nodes),
    /** Follows the change feed of every node (or those named) as one async iterator. */
    follow(followOptions: FleetFollowOptions = {}): Follower {
      const makeSource = followOptions.source ?? ((client: NodeClient) => pollingSource(client, followOptions));
      return follow(new Map(pick(followOptions.nodes).map(([node, client]) => [node, makeSource(client, node)])), followOptions);
    },
    close(): void {
      for (const client of clients.values()) client.close();
    },
  };
}

export type FleetClient = ReturnType<typeof createFleetClient>;
