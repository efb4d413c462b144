// The core schema: sessions, devices and the node, and the five contract mutations, as a module
// like the feature modules beside it. Mutations that revoke answer Boolean! exactly as the
// contract says, so a domain error nulls the whole `data`, which is what the control plane
// expects. Resolvers check what SDL cannot express, then call a use case or read the registry:
// no SQL and no commands here.
import type { Registry, SessionStatus } from '../../registry/index.js';
import { onlineSince as windowStart } from '../../registry/online.js';
import { errors, type SessionService } from '../../sessions/index.js';
import type { SchemaModule } from '../build-schema.js';
import type { GraphQLContext } from '../handler.js';
import { ID_PATTERN, MAX_PAGE_SIZE } from '../../api-limits.js';
import { readPageArgs, toConnection } from '../paging.js';
import { deviceView, sessionView } from '../views.js';

const typeDefs = /* GraphQL */ `
  enum SessionStatus {
    "The peer is on the interface."
    ACTIVE
    "The peer must go; its removal is recorded but not yet confirmed."
    ENDING
    "The peer is confirmed gone."
    ENDED
  }

  enum DeviceStatus {
    ACTIVE
    DEACTIVATED
  }

  type Session {
    id: ID!
    userId: Int!
    deviceId: Int!
    publicKey: String!
    "The client's tunnel address, e.g. 10.64.0.2"
    address: String!
    "The client's IPv6 tunnel address when the node is dual-stack (WGNODE_ADDRESS_POOL6), e.g. fd00:64::2; null otherwise"
    address6: String
    "What the node routes to this peer, e.g. 10.64.0.2/32, or 10.64.0.2/32,fd00:64::2/128 when dual-stack"
    allowedIps: String!
    status: SessionStatus!
    startedAt: String!
    endedAt: String
    endReason: String
    "True when the peer's latest handshake is within the node's online window."
    online: Boolean!
    lastHandshakeAt: String
    rxBytes: Float!
    txBytes: Float!
    "True when the peer has a preshared key. The key itself is never returned."
    hasPresharedKey: Boolean!
    "When the session ends as expired (connectDevice lifetimeS); null = never."
    expiresAt: String
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type SessionConnection {
    nodes: [Session!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Device {
    userId: Int!
    deviceId: Int!
    status: DeviceStatus!
    activatedAt: String!
    deactivatedAt: String
    deactivatedBy: String
    deactivationReason: String
    sessions(status: SessionStatus): [Session!]!
  }

  "What a client needs to configure its side of the tunnel."
  type NodeInfo {
    interface: String!
    publicKey: String
    listenPort: Int
    "host:port clients dial, when the operator configured it (WGNODE_PUBLIC_ENDPOINT)"
    endpoint: String
    "The node's own tunnel address"
    address: String!
    addressPool: String!
    "The node's own IPv6 tunnel address when dual-stack; null otherwise"
    address6: String
    "The IPv6 prefix sessions' address6 come from (WGNODE_ADDRESS_POOL6); null when IPv4 only"
    addressPool6: String
  }

  type Query {
    session(id: ID!): Session
    sessions(
      userId: Int
      deviceId: Int
      status: SessionStatus
      online: Boolean
      first: Int = 50
      after: String
    ): SessionConnection!
    device(userId: Int!, deviceId: Int!): Device
    devices(userId: Int!): [Device!]!
    node: NodeInfo!
  }

  type Mutation {
    "Creates the user and device when new; re-activates a deactivated device. Idempotent."
    activateDevice(userId: Int!, deviceId: Int!): Device!
    """
    Adds the key as a peer with a fresh /32 from the pool. A retry with the same key returns the same session.
    A device over its session limit (WGNODE_SESSIONS_PER_DEVICE, default 1) has its oldest session
    replaced (endReason "replaced") in the same wg call. presharedKey: base64, 32 bytes (wg genpsk).
    lifetimeS: the session ends as "expired" this many seconds after it starts.
    """
    connectDevice(userId: Int!, deviceId: Int!, publicKey: String!, presharedKey: String, lifetimeS: Int): Session!
    "Ends every active session of this user and device."
    disconnectByUserIdAndDeviceId(userId: Int!, deviceId: Int!, reason: String): Boolean!
    disconnectBySessionId(sessionId: ID!, reason: String): Boolean!
    "Ends the device's sessions and refuses new ones until activateDevice. The record is kept."
    deactivateDevice(userId: Int!, deviceId: Int!, reason: String): Boolean!
  }
`;

export interface NodeInfoSource {
  interface: string;
  address: string;
  addressPool: string;
  address6: string | null;
  addressPool6: string | null;
  endpoint: string | null;
  /** Read from the interface at start-up and by every reconcile; null until the interface answered. */
  current(): { publicKey: string; listenPort: number } | null;
}

export interface CoreModuleDeps {
  service: SessionService;
  registry: Registry;
  node: NodeInfoSource;
  onlineWindowS: number;
  now?: () => number;
}

type Args = Record<string, unknown>;

export function createCoreModule(deps: CoreModuleDeps): SchemaModule {
  return { typeDefs, resolvers: createResolvers(deps) };
}

function createResolvers(deps: CoreModuleDeps) {
  const { service, registry } = deps;
  const now = deps.now ?? Date.now;
  const onlineSince = () => windowStart(now(), deps.onlineWindowS);
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
      activateDevice: async (_: unknown, args: Args, ctx: GraphQLContext) =>
        deviceView(await service.activateDevice({ actor: ctx.actor, userId: args.userId as number, deviceId: args.deviceId as number })),
      connectDevice: async (_: unknown, args: Args, ctx: GraphQLContext) =>
        session(
          await service.connectDevice({
            actor: ctx.actor,
            userId: args.userId as number,
            deviceId: args.deviceId as number,
            publicKey: args.publicKey as string,
            presharedKey: args.presharedKey as string | null,
            lifetimeS: args.lifetimeS as number | null,
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
  return typeof value === 'string' && ID_PATTERN.test(value) ? Number(value) : null;
}
