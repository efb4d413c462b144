// `wgnode disconnect | deactivate | activate`: the control plane's mutations, audited as `local`
// on the socket (or as the token's principal with --url). Exit 0 only when the node confirmed.
import { Option } from 'commander';
import { usage } from '../errors.js';
import { parseId, parseSessionId } from '../options.js';
import type { RegisterCommand } from './types.js';

const DISCONNECT_DEVICE = `mutation ($userId: Int!, $deviceId: Int!, $reason: String) { disconnectByUserIdAndDeviceId(userId: $userId, deviceId: $deviceId, reason: $reason) }`;
const DISCONNECT_SESSION = `mutation ($sessionId: ID!, $reason: String) { disconnectBySessionId(sessionId: $sessionId, reason: $reason) }`;
const DEACTIVATE = `mutation ($userId: Int!, $deviceId: Int!, $reason: String) { deactivateDevice(userId: $userId, deviceId: $deviceId, reason: $reason) }`;
const ACTIVATE = `mutation ($userId: Int!, $deviceId: Int!) { activateDevice(userId: $userId, deviceId: $deviceId) { userId deviceId status activatedAt } }`;

interface DeviceOptions {
  user?: number;
  device?: number;
  session?: string;
  reason?: string;
}

const reasonOption = () => new Option('--reason <R>', 'why (kept in the audit log and on the sessions)');

export const registerRevoke: RegisterCommand = (program, action) => {
  program
    .command('disconnect')
    .description("end a device's active sessions (--user and --device) or one session (--session); the peers leave the interface")
    .option('--user <N>', 'the user', parseId)
    .option('--device <N>', 'the device', parseId)
    .option('--session <ID>', 'one session, by ID', parseSessionId)
    .addOption(reasonOption())
    .action(
      action<DeviceOptions>(async (ctx, o) => {
        const reason = o.reason ?? null;
        if (o.session !== undefined) {
          if (o.user !== undefined || o.device !== undefined) throw usage('give --session, or --user and --device, not both');
          await ctx.client().graphql(DISCONNECT_SESSION, { sessionId: o.session, reason });
          ctx.print({ ok: true, sessionId: o.session }, () => `disconnected session ${o.session}: its peer is off the interface\n`);
          return;
        }
        const { user, device } = requireDevice(o);
        await ctx.client().graphql(DISCONNECT_DEVICE, { userId: user, deviceId: device, reason });
        ctx.print({ ok: true, userId: user, deviceId: device }, () => `disconnected user ${user} device ${device}: its peers are off the interface\n`);
      }),
    );

  program
    .command('deactivate')
    .description('end the device\'s sessions and refuse new ones until `wgnode activate`; the record is kept')
    .requiredOption('--user <N>', 'the user', parseId)
    .requiredOption('--device <N>', 'the device', parseId)
    .addOption(reasonOption())
    .action(
      action<DeviceOptions>(async (ctx, o) => {
        const { user, device } = requireDevice(o);
        await ctx.client().graphql(DEACTIVATE, { userId: user, deviceId: device, reason: o.reason ?? null });
        ctx.print({ ok: true, userId: user, deviceId: device }, () => `deactivated user ${user} device ${device}\n`);
      }),
    );

  program
    .command('activate')
    .description('activate a device (creating the user and device when new) so it may connect again')
    .requiredOption('--user <N>', 'the user', parseId)
    .requiredOption('--device <N>', 'the device', parseId)
    .action(
      action<DeviceOptions>(async (ctx, o) => {
        const { user, device } = requireDevice(o);
        const data = await ctx.client().graphql<{ activateDevice: unknown }>(ACTIVATE, { userId: user, deviceId: device });
        ctx.print(data.activateDevice, () => `activated user ${user} device ${device}\n`);
      }),
    );
};

function requireDevice(o: DeviceOptions): { user: number; device: number } {
  if (o.user === undefined || o.device === undefined) throw usage('give --user N and --device N (or --session ID)');
  return { user: o.user, device: o.device };
}
