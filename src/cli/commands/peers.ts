// `wgnode peers adopt | purge --yes | kept | release KEY...`: the operator settles the unknown
// peers the reconciler holds back (a first start on a live node, or a mass removal no one
// ordered). Audited as `local` on the socket (docs/operations.md, "First start on a live node").
import type { Command } from 'commander';
import type { ReconcileReport } from '../../reconcile/report.js';
import { usage } from '../errors.js';
import type { RegisterCommand } from './types.js';

const REPORT_FIELDS = `ok peersOnInterface removedUnknownPeers adoptedPeers unmanagedPeers massRemovalHeld interfaceOwned`;
const ADOPT = `mutation { adoptUnmanagedPeers { ${REPORT_FIELDS} } }`;
const PURGE = `mutation { purgeUnmanagedPeers(confirm: true) { ${REPORT_FIELDS} } }`;
const KEPT = `{ keptPeers { publicKey allowedIps adoptedAt adoptedBy } }`;
const RELEASE = `mutation ($keys: [String!]!) { releaseKeptPeers(publicKeys: $keys) }`;

type Settled = Pick<ReconcileReport, 'removedUnknownPeers' | 'adoptedPeers' | 'interfaceOwned'>;
type KeptPeerRow = { publicKey: string; allowedIps: string; adoptedAt: string; adoptedBy: string };

export const registerPeers: RegisterCommand = (program, action) => {
  const peers: Command = program
    .command('peers')
    .description('settle peers on the interface that no session owns: adopt (keep) them or purge (remove) them');

  peers
    .command('adopt')
    .description('keep every peer no session owns as a kept peer; this registry then manages the interface (later unknown peers are removed)')
    .action(
      action(async (ctx) => {
        const { adoptUnmanagedPeers: report } = await ctx.client().graphql<{ adoptUnmanagedPeers: Settled }>(ADOPT);
        ctx.print(report, () => `adopted ${report.adoptedPeers} peers (kept on the interface); this registry now manages it\n`);
      }),
    );

  peers
    .command('purge')
    .description('remove every peer no session owns from the interface now (their clients are disconnected); needs --yes')
    .option('--yes', 'confirm the removal')
    .action(
      action<{ yes?: boolean }>(async (ctx, options) => {
        if (!options.yes) throw usage('purge removes every peer no session owns, disconnecting its client: pass --yes to confirm (wgnode status shows how many)');
        const { purgeUnmanagedPeers: report } = await ctx.client().graphql<{ purgeUnmanagedPeers: Settled }>(PURGE);
        ctx.print(report, () => `removed ${report.removedUnknownPeers} unknown peers; this registry now manages the interface\n`);
      }),
    );

  peers
    .command('kept')
    .description('list the peers adopted with `wgnode peers adopt`')
    .action(
      action(async (ctx) => {
        const { keptPeers: kept } = await ctx.client().graphql<{ keptPeers: KeptPeerRow[] }>(KEPT);
        ctx.print(kept, () =>
          kept.length === 0 ? 'no kept peers\n' : kept.map((p) => `${p.publicKey}  ${p.allowedIps || '-'}  adopted ${p.adoptedAt} by ${p.adoptedBy}\n`).join(''),
        );
      }),
    );

  peers
    .command('release')
    .description('forget kept peers: the next reconcile pass removes them as unknown peers')
    .argument('<KEY...>', 'public keys of kept peers')
    .action(
      action(async (ctx, _options, keys) => {
        // A variadic argument arrives as one array.
        const { releaseKeptPeers: released } = await ctx.client().graphql<{ releaseKeptPeers: number }>(RELEASE, { keys: keys.flat() });
        ctx.print({ released }, () => `released ${released} kept peers; the next reconcile pass removes them\n`);
      }),
    );
};
