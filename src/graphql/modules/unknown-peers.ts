// The operator's answer to unknown peers the reconciler holds back (docs/operations.md): adopt
// them (kept on the interface, the registry takes it over) or purge them (removed now). Each runs
// one reconcile pass with the order, so it sees the interface as it is, not as it was.
import type { Reconciler } from '../../reconcile/reconciler.js';
import type { ReconcileReport } from '../../reconcile/report.js';
import type { KeptPeer, Registry } from '../../registry/index.js';
import { errors } from '../../sessions/index.js';
import { isPublicKey } from '../../wireguard/keys.js';
import type { SchemaModule } from '../build-schema.js';
import type { GraphQLContext } from '../handler.js';
import { iso } from '../views.js';

const typeDefs = /* GraphQL */ `
  "A peer the operator adopted: not a session's, left on the interface like a static peer."
  type KeptPeer {
    publicKey: String!
    allowedIps: String!
    adoptedAt: String!
    adoptedBy: String!
  }

  extend type NodeInfo {
    "This registry's random id, made with its database: another id means another (e.g. a new, empty) registry; a restored backup keeps it."
    registryId: String!
  }

  extend type Query {
    "Peers the operator adopted (wgnode peers adopt)."
    keptPeers: [KeptPeer!]!
  }

  extend type Mutation {
    "Keeps every unknown peer on the interface as a kept peer, and takes the interface over: unknown peers seen later are removed."
    adoptUnmanagedPeers: ReconcileReport!
    "Removes every unknown peer now (confirm must be true), and takes the interface over."
    purgeUnmanagedPeers(confirm: Boolean!): ReconcileReport!
    "Forgets kept peers: the next pass removes them as unknown peers. Answers how many were kept."
    releaseKeptPeers(publicKeys: [String!]!): Int!
  }
`;

export interface UnknownPeersDeps {
  reconciler: Pick<Reconciler, 'runOnce'>;
  registry: Pick<Registry, 'ownership' | 'identity' | 'audit' | 'transaction'>;
  now?: () => number;
}

export function createUnknownPeersModule(deps: UnknownPeersDeps): SchemaModule {
  const { reconciler, registry } = deps;
  const now = deps.now ?? Date.now;
  const settled = (report: ReconcileReport) => {
    if (!report.ok) throw errors.reconcileFailed(report.error);
    return report;
  };
  return {
    typeDefs,
    resolvers: {
      NodeInfo: { registryId: () => registry.identity() },
      Query: { keptPeers: () => registry.ownership.keptPeers().map(keptPeerView) },
      Mutation: {
        adoptUnmanagedPeers: async (_: unknown, _args: unknown, ctx: GraphQLContext) =>
          settled(await reconciler.runOnce({ order: { kind: 'adopt', actor: ctx.actor } })),
        purgeUnmanagedPeers: async (_: unknown, args: { confirm: boolean }, ctx: GraphQLContext) => {
          if (args.confirm !== true) throw errors.badInput('purgeUnmanagedPeers removes peers that may serve clients: pass confirm: true');
          return settled(await reconciler.runOnce({ order: { kind: 'purge', actor: ctx.actor } }));
        },
        releaseKeptPeers: (_: unknown, args: { publicKeys: string[] }, ctx: GraphQLContext) => {
          for (const key of args.publicKeys) if (!isPublicKey(key)) throw errors.invalidPublicKey();
          return registry.transaction(() => {
            const released = registry.ownership.release(args.publicKeys);
            const detail = JSON.stringify({ publicKeys: args.publicKeys, released });
            registry.audit.record({ at: now(), actor: ctx.actor, action: 'release-kept-peers', outcome: 'ok', detail });
            return released;
          });
        },
      },
    },
  };
}

function keptPeerView(peer: KeptPeer) {
  return { ...peer, adoptedAt: iso(peer.adoptedAt) };
}
