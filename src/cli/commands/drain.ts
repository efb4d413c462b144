// `wgnode drain | undrain`: take the node out of service (new connects refused, sessions kept,
// with --deadline ended in batches until then) and back in. Survives a restart of the server.
import { parseDurationS } from '../options.js';
import type { RegisterCommand } from './types.js';

const DRAIN = `mutation ($reason: String, $deadlineS: Int) { drainNode(reason: $reason, deadlineS: $deadlineS) }`;
const UNDRAIN = `mutation { undrainNode }`;

export const registerDrain: RegisterCommand = (program, action) => {
  program
    .command('drain')
    .description('refuse new connects (NODE_DRAINING) and keep serving sessions; with --deadline, end them in batches until then')
    .option('--reason <R>', 'why (kept in the audit log and shown by the node query)')
    .option('--deadline <DURATION>', 'end the remaining sessions gradually within this time, e.g. 10m or 2h', parseDurationS)
    .action(
      action<{ reason?: string; deadline?: number }>(async (ctx, o) => {
        await ctx.client().graphql(DRAIN, { reason: o.reason ?? null, deadlineS: o.deadline ?? null });
        const deadline = o.deadline === undefined ? '' : `; remaining sessions end within ${o.deadline} s`;
        ctx.print({ ok: true, draining: true, deadlineS: o.deadline ?? null }, () => `draining: new connects are refused${deadline}\n`);
      }),
    );

  program
    .command('undrain')
    .description('accept new connects again')
    .action(
      action(async (ctx) => {
        await ctx.client().graphql(UNDRAIN, {});
        ctx.print({ ok: true, draining: false }, () => 'not draining: new connects are accepted\n');
      }),
    );
};
