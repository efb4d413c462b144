// Desired state from the control plane: syncDevices states which devices must be ACTIVE or
// DEACTIVATED (and, with `complete`, that every other one must be DEACTIVATED). Each item answers
// for itself like the bulk mutations; the HTTP status is 503 when some removal is not confirmed.
import type { SessionService, SyncOutcome } from '../../sessions/index.js';
import type { SchemaModule } from '../build-schema.js';
import type { GraphQLContext } from '../handler.js';

const typeDefs = /* GraphQL */ `
  "A device and the status the control plane wants it in."
  input DeviceStateInput {
    userId: Int!
    deviceId: Int!
    status: DeviceStatus!
  }

  "One device's answer: ok (changed says whether this call changed anything), or the error."
  type SyncResult {
    userId: Int!
    deviceId: Int!
    ok: Boolean!
    changed: Boolean!
    code: String
    message: String
  }

  type SyncReport {
    "One answer per item, in the order given."
    items: [SyncResult!]!
    "With complete: the devices outside the list that this call deactivated (or retried the removal of)."
    unlisted: [SyncResult!]!
  }

  extend type Mutation {
    """
    Brings this node in line with the control plane's list (at most 100000 items): each device is
    made ACTIVE or DEACTIVATED unless it already is. With complete: true, every other device is
    deactivated too (reason, or "not in the control plane's list"). Applying the same list twice
    changes nothing the second time.
    """
    syncDevices(items: [DeviceStateInput!]!, complete: Boolean = false, reason: String): SyncReport!
  }
`;

type Args = { items: Array<{ userId: number; deviceId: number; status: 'ACTIVE' | 'DEACTIVATED' }>; complete?: boolean | null; reason?: string | null };

export function createSyncModule(deps: { service: Pick<SessionService, 'syncDevices'> }): SchemaModule {
  const { service } = deps;
  return {
    typeDefs,
    resolvers: {
      Mutation: {
        syncDevices: async (_: unknown, args: Args, ctx: GraphQLContext) => {
          const report = await service.syncDevices({ actor: ctx.actor, items: args.items, complete: args.complete, reason: args.reason });
          return { items: toResults(ctx, report.items), unlisted: toResults(ctx, report.unlisted) };
        },
      },
    },
  };
}

function toResults(ctx: GraphQLContext, outcomes: readonly SyncOutcome[]) {
  return outcomes.map((o) => {
    const { userId, deviceId, changed } = o;
    if (o.ok) return { userId, deviceId, ok: true, changed, code: null, message: null };
    // A removal recorded but not confirmed is the node's problem, not the caller's: 503.
    if (o.error.status === 503) ctx.responseStatus = Math.max(ctx.responseStatus ?? 0, 503);
    return { userId, deviceId, ok: false, changed, code: o.error.code, message: o.error.message };
  });
}
