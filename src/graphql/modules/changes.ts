// The change feed as queries (read scope): `changes` pages through the feed after a cursor, and
// `snapshot` pages through the node's state with the cursor it is consistent with. The live
// stream of the same feed is plain SSE beside /graphql (src/feed/stream.ts).
import { readChanges, readSnapshot, type FeedRegistry } from '../../feed/feed.js';
import { onlineSince as windowStart } from '../../registry/online.js';
import { errors } from '../../sessions/index.js';
import type { SchemaModule } from '../build-schema.js';
import { MAX_PAGE_SIZE } from '../../api-limits.js';
import { deviceView, sessionView } from '../views.js';

const typeDefs = /* GraphQL */ `
  enum ChangeKind {
    DEVICE_ACTIVATED
    DEVICE_DEACTIVATED
    SESSION_STARTED
    SESSION_ENDING
    SESSION_ENDED
    "The session's handshake entered the online window (seen by the reconciler)."
    SESSION_ONLINE
    "The online window passed without a handshake."
    SESSION_OFFLINE
    "The reconciler removed a peer no session owns (publicKey says which)."
    PEER_REMOVED
    "The reconciler put an ACTIVE session's missing peer back."
    PEER_RESTORED
    "The reconciler could not read the interface."
    INTERFACE_LOST
    "The interface answers again after INTERFACE_LOST."
    INTERFACE_BACK
  }

  "One state change on the node: a row of its append-only feed."
  type Change {
    "Resume after this change: changes(after:), or the SSE stream's after / Last-Event-ID."
    cursor: String!
    "The change's position in this registry's feed (increasing)."
    seq: Float!
    kind: ChangeKind!
    at: String!
    userId: Int
    deviceId: Int
    sessionId: ID
    "Who caused it: a token's name, a JWT subject, local, or reconciler."
    actor: String
    reason: String
    "SESSION_STARTED: the session's key; PEER_REMOVED: the removed key."
    publicKey: String
    "SESSION_STARTED: the session's tunnel address."
    address: String
    "Anything else the change carries, as JSON text."
    detail: String
  }

  type ChangeConnection {
    nodes: [Change!]!
    "endCursor is set even on an empty page: continue from it."
    pageInfo: PageInfo!
  }

  "A page of the node's state. Read every page, then follow changes(after: cursor)."
  type SnapshotPage {
    "The change cursor the snapshot is consistent with (the same on every page of one snapshot)."
    cursor: String!
    "Devices in (userId, deviceId) order, both ACTIVE and DEACTIVATED."
    devices: [Device!]!
    "The live (ACTIVE or ENDING) sessions of this page's devices."
    sessions: [Session!]!
    pageInfo: PageInfo!
  }

  extend type Query {
    "The change feed, oldest first, after a cursor (none: the oldest change retained). A cursor of another registry or past retention answers RESYNC_REQUIRED."
    changes(after: String, first: Int = 100): ChangeConnection!
    "The node's full state, paged by device, with the change cursor to follow afterwards."
    snapshot(after: String, first: Int = 200): SnapshotPage!
  }
`;

type Args = Record<string, unknown>;

export function createChangesModule(deps: { registry: FeedRegistry; onlineWindowS: number; now?: () => number }): SchemaModule {
  const { registry } = deps;
  const now = deps.now ?? Date.now;
  return {
    typeDefs,
    resolvers: {
      Query: {
        changes: (_: unknown, args: Args) => readChanges(registry, args.after as string | null, pageSize(args.first)),
        snapshot: (_: unknown, args: Args) => {
          const page = readSnapshot(registry, args.after as string | null, pageSize(args.first));
          const since = windowStart(now(), deps.onlineWindowS);
          return { ...page, devices: page.devices.map(deviceView), sessions: page.sessions.map((s) => sessionView(s, since)) };
        },
      },
    },
  };
}

function pageSize(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_PAGE_SIZE) {
    throw errors.badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return value as number;
}
