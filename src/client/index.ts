// wgnode/client: the typed client the control plane uses to drive one node or a fleet.
// Depends on nothing of the server: only node:http/https and the generated operation types.
export { createNodeClient, type CallOptions, type CallResult, type DomainErrorCode, type GraphQLErrorBody, type NodeClient, type NodeClientOptions, type TokenSource } from './node-client.js';
export { createFleetClient, type FleetClient, type FleetClientOptions, type FleetCallOptions, type FleetFollowOptions, type FleetNode, type NodeResult } from './fleet.js';
export { follow, pollingSource, FeedReadError, ResyncRequiredError, type Change, type ChangeSource, type FeedEvent, type FollowOptions, type Follower, type PollingOptions } from './follow.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry.js';
export { NetworkError, type TlsOptions } from './transport.js';
export * as operations from './generated/operations.js';
export type * from './generated/operations.js';
