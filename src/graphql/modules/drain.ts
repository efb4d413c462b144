// Draining the node (src/sessions/drain.ts): the admin mutations, and the node query's `draining`.
import type { Registry } from '../../registry/index.js';
import { readDrainState, type SessionService } from '../../sessions/index.js';
import type { SchemaModule } from '../build-schema.js';
import type { GraphQLContext } from '../handler.js';
import { iso } from '../views.js';

export function createDrainModule(deps: { service: Pick<SessionService, 'drainNode' | 'undrainNode'>; registry: Pick<Registry, 'state'> }): SchemaModule {
  const { service } = deps;
  return {
    typeDefs: /* GraphQL */ `
      "A draining node refuses new connects (NODE_DRAINING) and serves its sessions and revocations."
      type Draining {
        since: String!
        reason: String
        "When the last sessions are ended (in batches until then); null = no deadline."
        deadline: String
      }

      extend type NodeInfo {
        "Set while the node drains; null when it serves normally."
        draining: Draining
      }

      extend type Mutation {
        "Refuse new connects from now on; with deadlineS, end the remaining sessions in batches within that many seconds. Survives a restart."
        drainNode(reason: String, deadlineS: Int): Boolean!
        "Accept new connects again (sessions already ended stay ended)."
        undrainNode: Boolean!
      }
    `,
    resolvers: {
      NodeInfo: {
        draining: () => {
          const state = readDrainState(deps.registry);
          return state && { since: iso(state.since), reason: state.reason, deadline: iso(state.deadline) };
        },
      },
      Mutation: {
        drainNode: (_: unknown, args: { reason?: string | null; deadlineS?: number | null }, ctx: GraphQLContext) =>
          service.drainNode({ actor: ctx.actor, reason: args.reason, deadlineS: args.deadlineS }),
        undrainNode: (_: unknown, _args: unknown, ctx: GraphQLContext) => service.undrainNode({ actor: ctx.actor }),
      },
    },
  };
}
