// `wgnode status`: the interface, its peers, sessions active/online/ending, the last reconcile and
// its drift, and which wgnode answers.
import { repairCount, type ReconcileReport } from '../../reconcile/report.js';
import { VERSION } from '../../version.js';
import { CliError } from '../errors.js';
import { formatDuration, relativeTime, type Style } from '../format.js';
import type { RegisterCommand } from './types.js';

const REPORT = `reconcileReport { at durationMs ok error peersOnInterface removedUnknownPeers finishedIntents restoredPeers endedIdleSessions handshakesRecorded interfaceOwned unmanagedPeers massRemovalHeld adoptedPeers }`;

const query = (withReport: boolean) => /* GraphQL */ `
  query wgnodeStatus {
    node { interface publicKey listenPort endpoint address addressPool version startedAt draining { since reason deadline } }
    active: sessions(status: ACTIVE, first: 1) { totalCount }
    online: sessions(online: true, first: 1) { totalCount }
    ending: sessions(status: ENDING, first: 1) { totalCount }
    ${withReport ? REPORT : ''}
  }
`;

interface NodeInfo {
  interface: string;
  publicKey: string | null;
  listenPort: number | null;
  endpoint: string | null;
  address: string;
  addressPool: string;
  version: string;
  startedAt: string;
  draining: { since: string; reason: string | null; deadline: string | null } | null;
}

interface StatusData {
  node: NodeInfo;
  active: { totalCount: number };
  online: { totalCount: number };
  ending: { totalCount: number };
  reconcileReport?: ReconcileReport | null;
}

export const registerStatus: RegisterCommand = (program, action) => {
  program
    .command('status')
    .description('show the interface, its peers, sessions (active, online, pending removal), the last reconcile and the version')
    .action(
      action(async (ctx) => {
        const client = ctx.client();
        let data: StatusData;
        try {
          data = await client.graphql<StatusData>(query(true));
        } catch (error) {
          // A node that predates the reconcile report (or its newer fields) still answers everything else.
          if (!(error instanceof CliError && /reconcileReport|ReconcileReport/.test(error.message))) throw error;
          data = { ...(await client.graphql<StatusData>(query(false))), reconcileReport: null };
        }
        const status = {
          node: data.node,
          sessions: { active: data.active.totalCount, online: data.online.totalCount, ending: data.ending.totalCount },
          reconcile: data.reconcileReport ?? null,
          cli: { version: VERSION },
        };
        ctx.print(status, () => formatStatus(status, ctx.io.now(), ctx.style));
      }),
    );
};

function formatStatus(
  s: { node: NodeInfo; sessions: { active: number; online: number; ending: number }; reconcile: ReconcileReport | null },
  now: number,
  style: Style,
): string {
  const { node, reconcile } = s;
  const lines: [string, string][] = [
    // "up" only when the last pass read it: the key is remembered after the interface goes away.
    ['interface', node.publicKey && reconcile?.ok !== false ? `${node.interface}  ${style.green('up')}  port ${node.listenPort}` : `${node.interface}  ${style.red('not answering')}`],
    ['public key', node.publicKey ?? '-'],
    ['address', `${node.address}  (pool ${node.addressPool})`],
  ];
  if (node.endpoint) lines.push(['endpoint', node.endpoint]);
  if (node.draining) lines.push(['draining', style.yellow(formatDraining(node.draining))]);
  lines.push(['peers', reconcile?.ok ? `${reconcile.peersOnInterface} on the interface (at the last reconcile)` : '-']);
  const ending = s.sessions.ending > 0 ? style.yellow(`${s.sessions.ending} pending removal`) : '0 pending removal';
  lines.push(['sessions', `${s.sessions.active} active, ${s.sessions.online} online, ${ending}`]);
  lines.push(['reconcile', formatReconcile(reconcile, now, style)]);
  if (reconcile && repairCount(reconcile)) lines.push(['drift', formatDrift(reconcile)]);
  if (reconcile?.unmanagedPeers) {
    lines.push(['unmanaged', style.red(`${reconcile.unmanagedPeers} peers this registry does not know; nothing removed: wgnode peers adopt | wgnode peers purge --yes`)]);
  }
  if (reconcile?.massRemovalHeld) {
    lines.push(['held', style.red(`${reconcile.massRemovalHeld} unknown peers not removed (above WGNODE_MAX_UNKNOWN_REMOVALS): wgnode peers purge --yes | wgnode peers adopt`)]);
  }
  lines.push(['version', `wgnode ${node.version}, up ${relativeTime(node.startedAt, now).replace(' ago', '')} (since ${node.startedAt})`]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
}

function formatReconcile(r: ReconcileReport | null, now: number, style: Style): string {
  if (!r) return style.yellow('no report yet');
  const outcome = r.ok ? style.green('ok') : style.red(`failed: ${r.error ?? 'unknown error'}`);
  return `${relativeTime(r.at, now)}, ${outcome} (${formatDuration(r.durationMs)})${r.ok && !repairCount(r) ? ', no drift' : ''}`;
}

function formatDrift(r: ReconcileReport): string {
  const parts = [
    [r.removedUnknownPeers, 'unknown peers removed'],
    [r.finishedIntents, 'pending removals finished'],
    [r.restoredPeers, 'missing peers restored'],
    [r.endedIdleSessions, 'idle sessions ended'],
  ] as const;
  return parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`).join(', ');
}

function formatDraining(d: NonNullable<NodeInfo['draining']>): string {
  const why = d.reason ? ` (${d.reason})` : '';
  const until = d.deadline ? `; sessions end by ${d.deadline}` : '';
  return `since ${d.since}${why}: new connects refused${until}`;
}
