// Registry rows → GraphQL objects: ISO timestamps, dotted addresses, derived `online`.
import type { Device, Session } from '../registry/index.js';
import { isOnline } from '../registry/online.js';
import { allowedIpsOf, formatIpv4 } from '../net.js';

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** onlineSince: the start of the online window (registry onlineSince()). */
export function sessionView(session: Session, onlineSince: number) {
  const address = formatIpv4(session.address);
  return {
    id: String(session.id),
    userId: session.userId,
    deviceId: session.deviceId,
    publicKey: session.publicKey,
    address,
    address6: session.address6,
    allowedIps: allowedIpsOf(session),
    status: session.status,
    startedAt: iso(session.startedAt),
    endedAt: iso(session.endedAt),
    endReason: session.endReason,
    online: isOnline(session, onlineSince),
    lastHandshakeAt: iso(session.lastHandshakeAt),
    rxBytes: session.rxBytes,
    txBytes: session.txBytes,
    hasPresharedKey: session.hasPresharedKey === 1,
    expiresAt: iso(session.expiresAt),
  };
}

export function deviceView(device: Device) {
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    status: device.status,
    activatedAt: iso(device.activatedAt),
    deactivatedAt: device.status === 'DEACTIVATED' ? iso(device.deactivatedAt) : null,
    deactivatedBy: device.status === 'DEACTIVATED' ? device.deactivatedBy : null,
    deactivationReason: device.status === 'DEACTIVATED' ? device.deactivationReason : null,
  };
}
