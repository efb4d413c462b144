// The use cases, bound to their dependencies: what the GraphQL resolvers call.
import { deactivateDevices, disconnectDevices } from './bulk.js';
import { activateDevice, connectDevice } from './connect.js';
import type { UseCaseDeps } from './deps.js';
import { drainNode, undrainNode } from './drain.js';
import { recordForbiddenMutation } from './forbidden.js';
import { deactivateDevice, disconnectDevice, disconnectSession } from './revoke.js';
import { syncDevices } from './sync.js';

export function createSessionService(deps: UseCaseDeps) {
  return {
    activateDevice: (request: Parameters<typeof activateDevice>[1]) => activateDevice(deps, request),
    connectDevice: (request: Parameters<typeof connectDevice>[1]) => connectDevice(deps, request),
    disconnectDevice: (request: Parameters<typeof disconnectDevice>[1]) => disconnectDevice(deps, request),
    disconnectSession: (request: Parameters<typeof disconnectSession>[1]) => disconnectSession(deps, request),
    deactivateDevice: (request: Parameters<typeof deactivateDevice>[1]) => deactivateDevice(deps, request),
    disconnectDevices: (request: Parameters<typeof disconnectDevices>[1]) => disconnectDevices(deps, request),
    deactivateDevices: (request: Parameters<typeof deactivateDevices>[1]) => deactivateDevices(deps, request),
    syncDevices: (request: Parameters<typeof syncDevices>[1]) => syncDevices(deps, request),
    drainNode: (request: Parameters<typeof drainNode>[1]) => drainNode(deps, request),
    undrainNode: (request: Parameters<typeof undrainNode>[1]) => undrainNode(deps, request),
    recordForbiddenMutation: (request: Parameters<typeof recordForbiddenMutation>[1]) => recordForbiddenMutation(deps, request),
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
export type { UseCaseDeps } from './deps.js';
export { DomainError, errors } from './errors.js';
export { readDrainState } from './drain.js';
export { createDrainer } from './drainer.js';
export { MAX_BULK_ITEMS, type BulkOutcome, type DeviceRef } from './bulk.js';
export { MAX_SYNC_ITEMS, type SyncOutcome } from './sync.js';
