// Resolvers: argument checks that SDL cannot express, then a call into the use cases or a read
// of the registry. No SQL and no commands here.
import type { Registry, SessionStatus } from '../registry/index.js';
import { errors, type SessionService } from '../sessions/index.js';
import type { GraphQLContext } from './handler.js';
import { MAX_PAGE_SIZE, readPageArgs, toConnection } from './paging.js';
import { deviceView, sessionView } from './views.js';

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
        const { first, cursorId } = readPageArgs('session', args);
        const filter = {
          userId: args.userId as number | null,
          deviceId: args.deviceId as number | null,
          status: args.status as SessionStatus | null,
          online: args.online == null ? null : { value: args.online as boolean, since: onlineSince() },
        };
        const rows = registry.sessions.list(filter, first + 1, cursorId);
        return toConnection('session', rows, first, session, () => registry.sessions.count(filter));
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
