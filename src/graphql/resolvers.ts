// Resolvers: argument checks that SDL cannot express, then a call into the use cases or a read
// of the registry. No SQL and no commands here.
import type { Registry, SessionStatus } from '../registry/index.js';
import { errors, type SessionService } from '../sessions/index.js';
import type { GraphQLContext } from './context.js';
import { decodeCursor, deviceView, encodeCursor, sessionView } from './views.js';

export interface NodeInfoSource {
  interface: string;
  address: string;
  addressPool: string;
  endpoint: string | null;
  /** Read from the interface at start-up and by every reconcile; null until the interface answered. */
  current(): { publicKey: string; listenPort: number } | null;
}

export interface ResolverDeps {
  service: SessionService;
  registry: Registry;
  node: NodeInfoSource;
  onlineWindowS: number;
  now?: () => number;
}

export const MAX_PAGE_SIZE = 500;

type Args = Record<string, unknown>;

export function createResolvers(deps: ResolverDeps) {
  const { service, registry } = deps;
  const now = deps.now ?? Date.now;
  const onlineSince = () => now() - deps.onlineWindowS * 1000;
  const session = (row: Parameters<typeof sessionView>[0]) => sessionView(row, onlineSince());

  return {
    Query: {
      session: (_: unknown, args: Args) => {
        const id = parseSessionId(args.id);
        const row = id === null ? undefined : registry.sessions.get(id);
        return row ? session(row) : null;
      },
      sessions: (_: unknown, args: Args) => {
        const first = args.first as number;
        if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
          throw errors.badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`);
        }
        const afterId = args.after == null ? null : decodeCursor(args.after as string);
        if (args.after != null && afterId === null) throw errors.badInput('after is not a cursor this node issued');
        const filter = {
          userId: args.userId as number | null,
          deviceId: args.deviceId as number | null,
          status: args.status as SessionStatus | null,
          online: args.online == null ? null : { value: args.online as boolean, since: onlineSince() },
        };
        // One row more than asked tells whether there is a next page without a second query.
        const rows = registry.sessions.list(filter, first + 1, afterId);
        const nodes = rows.slice(0, first).map(session);
        const last = rows[Math.min(rows.length, first) - 1];
        return {
          nodes,
          pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(last.id) : null },
          totalCount: () => registry.sessions.count(filter),
        };
      },
      device: (_: unknown, args: Args) => {
        const row = registry.devices.get(args.userId as number, args.deviceId as number);
        return row ? deviceView(row) : null;
      },
      devices: (_: unknown, args: Args) => registry.devices.listByUser(args.userId as number).map(deviceView),
      node: () => ({ ...deps.node, ...(deps.node.current() ?? { publicKey: null, listenPort: null }) }),
    },
    Device: {
      sessions: (device: { userId: number; deviceId: number }, args: Args) =>
        registry.sessions
          .list({ userId: device.userId, deviceId: device.deviceId, status: args.status as SessionStatus | null }, MAX_PAGE_SIZE, null)
          .map(session),
    },
    Mutation: {
      activateDevice: (_: unknown, args: Args, ctx: GraphQLContext) =>
        deviceView(service.activateDevice({ actor: ctx.actor, userId: args.userId as number, deviceId: args.deviceId as number })),
      connectDevice: async (_: unknown, args: Args, ctx: GraphQLContext) =>
        session(
          await service.connectDevice({
            actor: ctx.actor,
            userId: args.userId as number,
            deviceId: args.deviceId as number,
            publicKey: args.publicKey as string,
          }),
        ),
      disconnectByUserIdAndDeviceId: (_: unknown, args: Args, ctx: GraphQLContext) =>
        service.disconnectDevice({
          actor: ctx.actor,
          userId: args.userId as number,
          deviceId: args.deviceId as number,
          reason: args.reason as string | null,
        }),
      disconnectBySessionId: (_: unknown, args: Args, ctx: GraphQLContext) => {
        const sessionId = parseSessionId(args.sessionId);
        if (sessionId === null) throw errors.badInput('sessionId must be the ID of a session');
        return service.disconnectSession({ actor: ctx.actor, sessionId, reason: args.reason as string | null });
      },
      deactivateDevice: (_: unknown, args: Args, ctx: GraphQLContext) =>
        service.deactivateDevice({
          actor: ctx.actor,
          userId: args.userId as number,
          deviceId: args.deviceId as number,
          reason: args.reason as string | null,
        }),
    },
  };
}

function parseSessionId(value: unknown): number | null {
  return typeof value === 'string' && /^[1-9]\d{0,14}$/.test(value) ? Number(value) : null;
}
