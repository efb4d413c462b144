// `wgnode audit`: the audit log, newest first — who did what to which device, why, and how it ended.
import { usage } from '../errors.js';
import { formatTable, relativeTime, type Style } from '../format.js';
import { parseId, parseLimit, parseSince } from '../options.js';
import { fetchPages } from '../paginate.js';
import type { RegisterCommand } from './types.js';

const QUERY = /* GraphQL */ `
  query wgnodeAudit($first: Int, $after: String, $userId: Int, $deviceId: Int, $action: String, $since: String) {
    auditLog(first: $first, after: $after, userId: $userId, deviceId: $deviceId, action: $action, since: $since) {
      nodes { id at actor action userId deviceId sessionId reason outcome detail }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
`;

interface AuditRow {
  at: string;
  actor: string;
  action: string;
  userId: number | null;
  deviceId: number | null;
  sessionId: string | null;
  reason: string | null;
  outcome: string;
  detail: string | null;
}

interface Options {
  user?: number;
  device?: number;
  action?: string;
  since?: string;
  limit: number;
}

export const registerAudit: RegisterCommand = (program, action) => {
  program
    .command('audit')
    .description('show the audit log, newest first')
    .option('--user <N>', 'only entries about this user', parseId)
    .option('--device <N>', 'only entries about this device', parseId)
    .option('--action <A>', 'only this action (e.g. disconnect, deactivate, activate, connect, backup)')
    .option('--since <T>', 'only entries at or after T: ISO 8601 (2026-11-23T03:00:00Z) or a duration back (15m, 2h, 7d)')
    .option('--limit <N>', 'show at most N entries', parseLimit(100_000), 20)
    .action(
      action<Options>(async (ctx, options) => {
        const since = options.since === undefined ? null : sinceToIso(options.since, ctx.io.now);
        const variables = { userId: options.user ?? null, deviceId: options.device ?? null, action: options.action ?? null, since };
        const { nodes, totalCount } = await fetchPages<AuditRow>(ctx.client(), QUERY, 'auditLog', variables, options.limit);
        ctx.print({ totalCount, nodes }, () => formatAudit(nodes, totalCount, ctx.io.now(), ctx.style));
      }),
    );
};

function sinceToIso(value: string, now: () => number): string {
  try {
    return parseSince(now)(value);
  } catch (error) {
    throw usage(`option '--since <T>' argument '${value}' is invalid. ${(error as Error).message}`);
  }
}

function formatAudit(nodes: AuditRow[], totalCount: number, now: number, style: Style): string {
  if (nodes.length === 0) return 'no audit entries match\n';
  const rows = nodes.map((e) => [
    relativeTime(e.at, now),
    e.actor,
    e.action,
    target(e),
    outcomeCell(e.outcome, style),
    e.reason ?? '-',
    e.detail ?? '',
  ]);
  const table = formatTable(['WHEN', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME', 'REASON', 'DETAIL'], rows, style);
  const more = totalCount > nodes.length ? `showing ${nodes.length} of ${totalCount} (--limit N for more)\n` : '';
  return table + more;
}

function target(e: { userId: number | null; deviceId: number | null; sessionId: number | string | null }): string {
  const parts: string[] = [];
  if (e.userId != null) parts.push(`user ${e.userId}`);
  if (e.deviceId != null) parts.push(`device ${e.deviceId}`);
  if (e.sessionId != null) parts.push(`session ${e.sessionId}`);
  return parts.join(' ') || '-';
}

function outcomeCell(outcome: string, style: Style): string {
  if (outcome === 'ok') return style.green(outcome);
  if (outcome === 'pending') return style.yellow(outcome);
  return style.red(outcome);
}
