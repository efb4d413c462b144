// `wgnode devices --user N`: the user's devices, their state and how many sessions each holds.
import { formatTable, relativeTime, type Style } from '../format.js';
import { parseId } from '../options.js';
import { statusCell } from './sessions.js';
import type { RegisterCommand } from './types.js';

const QUERY = /* GraphQL */ `
  query wgnodeDevices($userId: Int!) {
    devices(userId: $userId) {
      userId deviceId status activatedAt deactivatedAt deactivatedBy deactivationReason
      sessions(status: ACTIVE) { id online }
    }
  }
`;

interface DeviceRow {
  deviceId: number;
  status: string;
  activatedAt: string;
  deactivatedAt: string | null;
  deactivatedBy: string | null;
  deactivationReason: string | null;
  sessions: { id: string; online: boolean }[];
}

export const registerDevices: RegisterCommand = (program, action) => {
  program
    .command('devices')
    .description("list a user's devices with their active sessions")
    .requiredOption('--user <N>', 'the user', parseId)
    .action(
      action<{ user: number }>(async (ctx, options) => {
        const data = await ctx.client().graphql<{ devices: DeviceRow[] }>(QUERY, { userId: options.user });
        ctx.print(data.devices, () => formatDevices(data.devices, options.user, ctx.io.now(), ctx.style));
      }),
    );
};

function formatDevices(devices: DeviceRow[], userId: number, now: number, style: Style): string {
  if (devices.length === 0) return `user ${userId} has no devices on this node\n`;
  const rows = devices.map((d) => [
    String(d.deviceId),
    statusCell(d.status, style),
    relativeTime(d.activatedAt, now),
    String(d.sessions.length),
    String(d.sessions.filter((s) => s.online).length),
    d.deactivatedAt ? `${relativeTime(d.deactivatedAt, now)} by ${d.deactivatedBy ?? '?'}${d.deactivationReason ? `: ${d.deactivationReason}` : ''}` : '-',
  ]);
  return formatTable(['DEVICE', 'STATUS', 'ACTIVATED', 'SESSIONS', 'ONLINE', 'DEACTIVATED'], rows, style);
}
