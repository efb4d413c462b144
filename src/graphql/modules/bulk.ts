// Bulk revocation for the control plane: one request, one transaction, coalesced `wg set` calls.
// Each item answers for itself with the code and message its single mutation would give; the
// HTTP status is 200 when the request was processed, 503 when some removal is not confirmed.
import type { BulkOutcome, DeviceRef, SessionService } from '../../sessions/index.js';
import type { SchemaModule } from '../build-schema.js';
import type { GraphQLContext } from '../handler.js';

const typeDefs = /* GraphQL */ `
  input DeviceRef {
    userId: Int!
    deviceId: Int!
  }

  "One item's answer: ok, or the error its single mutation would have given."
  type BulkResult {
    userId: Int!
    deviceId: Int!
    ok: Boolean!
    code: String
    message: String
  }

  extend type Mutation {
    "disconnectByUserIdAndDeviceId for many devices at once (at most 10000 items)."
    disconnectDevices(items: [DeviceRef!]!, reason: String): [BulkResult!]!
    "deactivateDevice for many devices at once (at most 10000 items)."
    deactivateDevices(items: [DeviceRef!]!, reason: String): [BulkResult!]!
  }
`;

type Args = { items: DeviceRef[]; reason?: string | null };

export function createBulkModule(deps: { service: Pick<SessionService, 'disconnectDevices' | 'deactivateDevices'> }): SchemaModule {
  const { service } = deps;
  return {
    typeDefs,
    resolvers: {
      Mutation: {
        disconnectDevices: async (_: unknown, args: Args, ctx: GraphQLContext) =>
          toResults(ctx, await service.disconnectDevices({ actor: ctx.actor, items: args.items, reason: args.reason })),
        deactivateDevices: async (_: unknown, args: Args, ctx: GraphQLContext) =>
          toResults(ctx, await service.deactivateDevices({ actor: ctx.actor, items: args.items, reason: args.reason })),
      },
    },
  };
}

function toResults(ctx: GraphQLContext, outcomes: readonly BulkOutcome[]) {
  return outcomes.map((o) => {
    if (o.ok) return { userId: o.userId, deviceId: o.deviceId, ok: true, code: null, message: null };
    // A removal recorded but not confirmed is the node's problem, not the caller's: 503.
    if (o.error.status === 503) ctx.responseStatus = Math.max(ctx.responseStatus ?? 0, 503);
    return { userId: o.userId, deviceId: o.deviceId, ok: false, code: o.error.code, message: o.error.message };
  });
}
