// Domain errors: a code the control plane branches on, and a message it may show. The
// contract's four messages are quoted word for word; the GraphQL layer maps `status` to HTTP.

export type DomainCode =
  | 'NOT_FOUND'
  | 'SESSION_NOT_FOUND'
  | 'DEVICE_NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'DEVICE_DEACTIVATED'
  | 'DEVICE_LIMIT_REACHED'
  | 'PUBLIC_KEY_IN_USE'
  | 'INVALID_PUBLIC_KEY'
  | 'INVALID_PRESHARED_KEY'
  | 'ADDRESS_POOL_EXHAUSTED'
  | 'BAD_USER_INPUT'
  | 'REMOVAL_PENDING'
  | 'PEER_ADD_FAILED'
  | 'REGISTRY_BUSY'
  | 'REGISTRY_UNAVAILABLE'
  | 'RECONCILE_FAILED'
  | 'NODE_DRAINING'
  | 'RESYNC_REQUIRED';

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: DomainCode,
    message: string,
    /** HTTP status for the response: 400 for the caller's mistake, 503 for "try later / will be enforced". */
    readonly status: 400 | 503 = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const errors = {
  userOrDeviceNotFound: () => new DomainError('NOT_FOUND', 'User or device not found'),
  noActiveSessionForDevice: () =>
    new DomainError('SESSION_NOT_FOUND', 'No active session found for this user and device combination'),
  noActiveSession: () => new DomainError('SESSION_NOT_FOUND', 'No active session found with this ID'),
  deviceNotFound: () => new DomainError('DEVICE_NOT_FOUND', 'Device not found or already deactivated'),
  userNotFound: () => new DomainError('USER_NOT_FOUND', 'User not found'),
  deviceDeactivated: () =>
    new DomainError('DEVICE_DEACTIVATED', 'Device is deactivated; activate it before it can connect'),
  deviceLimitReached: (max: number) =>
    new DomainError('DEVICE_LIMIT_REACHED', `User already has the maximum of ${max} active devices`),
  publicKeyInUse: () => new DomainError('PUBLIC_KEY_IN_USE', 'Public key is already in use by another session'),
  invalidPublicKey: () =>
    new DomainError('INVALID_PUBLIC_KEY', 'publicKey must be a WireGuard public key: 32 bytes in base64 (44 characters)'),
  // The value is a secret: the message never repeats it.
  invalidPresharedKey: () => new DomainError('INVALID_PRESHARED_KEY', 'presharedKey must be 32 bytes in base64 (44 characters), as `wg genpsk` prints'),
  poolExhausted: () => new DomainError('ADDRESS_POOL_EXHAUSTED', 'No free tunnel address is left in this node\'s pool'),
  badInput: (message: string) => new DomainError('BAD_USER_INPUT', message),
  removalPending: (cause: unknown) =>
    new DomainError(
      'REMOVAL_PENDING',
      'The change is recorded, but WireGuard did not confirm the peer removal; the node keeps retrying until the peer is gone',
      503,
      { cause },
    ),
  registryUnavailable: (cause: unknown) =>
    new DomainError('REGISTRY_UNAVAILABLE', 'The node registry could not save the change (nothing was changed); retry the request', 503, { cause }),
  nodeDraining: () =>
    new DomainError('NODE_DRAINING', 'This node is draining and accepts no new sessions; connect the device to another node', 503),
  resyncRequired: (why: string) =>
    new DomainError('RESYNC_REQUIRED', `The cursor cannot be followed on this node (${why}); start again from a snapshot`),
  peerAddFailed: (cause: unknown) =>
    new DomainError('PEER_ADD_FAILED', 'WireGuard did not accept the peer; no session was started', 503, { cause }),
  reconcileFailed: (reason: string | null) =>
    new DomainError('RECONCILE_FAILED', `The reconcile pass failed, nothing was settled; try again (${reason ?? 'unknown error'})`, 503),
} as const;
