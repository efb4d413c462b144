// `wgnode sessions`: one row per session, filtered like the API's `sessions` query, paged through
// until --limit rows are shown.
import { formatBytes, formatTable, relativeTime, shortKey, type Style } from '../format.js';
import { parseId, parseLimit, parseStatus } from '../options.js';
import { fetchPages } from '../paginate.js';
import type { RegisterCommand } from './types.js';

const QUERY = /* GraphQL */ `
  query wgnodeSessions($userId: Int, $deviceId: Int, $status: SessionStatus, $online: Boolean, $first: Int, $after: String) {
    sessions(userId: $userId, deviceId: $deviceId, status: $status, online: $online, first: $first, after: $after) {
      nodes { id userId deviceId publicKey address status startedAt endedAt endReason online lastHandshakeAt rxBytes txBytes }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
`;

interface Options {
  user?: number;
  device?: number;
  online?: boolean;
  status: string;
  limit: number;
}

export const registerSessions: RegisterCommand = (program, action) => {
  program
    .command('sessions')
    .description('list sessions (default: ACTIVE ones), oldest first')
    .option('--user <N>', 'only this user', parseId)
    .option('--device <N>', 'only this device (with --user)', parseId)
    .option('--online', 'only sessions with a recent handshake')
    .option('--status <S>', 'ACTIVE, ENDING, ENDED, or all', parseStatus, 'ACTIVE')
    .option('--limit <N>', 'show at most N sessions', parseLimit(100_000), 50)
    .action(
      action<Options>(async (ctx, options) => {
        const variables = {
          userId: options.user ?? null,
          deviceId: options.device ?? null,
          status: options.status === 'all' ? null : options.status,
          online: options.online ? true : null,
        };
        const { nodes, totalCount } = await fetchPages<SessionRow>(ctx.client(), QUERY, 'sessions', variables, options.limit);
        ctx.print({ totalCount, nodes }, () => formatSessions(nodes, totalCount, ctx.io.now(), ctx.style));
      }),
    );
};

interface SessionRow {
  id: string;
  userId: number;
  deviceId: number;
  address: string;
  status: string;
  online: boolean;
  lastHandshakeAt: string | null;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  rxBytes: number;
  txBytes: number;
  publicKey: string;
}

function formatSessions(nodes: SessionRow[], totalCount: number, now: number, style: Style): string {
  if (nodes.length === 0) return 'no sessions match\n';
  const rows = nodes.map((s) => [
    s.id,
    String(s.userId),
    String(s.deviceId),
    s.address,
    statusCell(s.status, style),
    s.online ? style.green('yes') : 'no',
    relativeTime(s.lastHandshakeAt, now),
    relativeTime(s.startedAt, now),
    `${formatBytes(s.rxBytes)} / ${formatBytes(s.txBytes)}`,
    shortKey(s.publicKey),
  ]);
  const table = formatTable(['ID', 'USER', 'DEVICE', 'ADDRESS', 'STATUS', 'ONLINE', 'HANDSHAKE', 'STARTED', 'RX / TX', 'KEY'], rows, style);
  const more = totalCount > nodes.length ? `showing ${nodes.length} of ${totalCount} (--limit N for more)\n` : '';
  return table + more;
}

export function statusCell(status: string, style: Style): string {
  if (status === 'ACTIVE') return style.green(status);
  if (status === 'ENDING' || status === 'DEACTIVATED') return style.yellow(status);
  return style.dim(status);
}
