// The schema in SDL. Mutations that revoke answer Boolean! exactly as the contract says, so a
// domain error nulls the whole `data`, which is what the control plane expects.
export const typeDefs = /* GraphQL */ `
  enum SessionStatus {
    "The peer is on the interface."
    ACTIVE
    "The peer must go; its removal is recorded but not yet confirmed."
    ENDING
    "The peer is confirmed gone."
    ENDED
  }

  enum DeviceStatus {
    ACTIVE
    DEACTIVATED
  }

  type Session {
    id: ID!
    userId: Int!
    deviceId: Int!
    publicKey: String!
    "The client's tunnel address, e.g. 10.64.0.2"
    address: String!
    "What the node routes to this peer, e.g. 10.64.0.2/32"
    allowedIps: String!
    status: SessionStatus!
    startedAt: String!
    endedAt: String
    endReason: String
    "True when the peer's latest handshake is within the node's online window."
    online: Boolean!
    lastHandshakeAt: String
    rxBytes: Float!
    txBytes: Float!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type SessionConnection {
    nodes: [Session!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Device {
    userId: Int!
    deviceId: Int!
    status: DeviceStatus!
    activatedAt: String!
    deactivatedAt: String
    deactivatedBy: String
    deactivationReason: String
    sessions(status: SessionStatus): [Session!]!
  }

  "What a client needs to configure its side of the tunnel."
  type NodeInfo {
    interface: String!
    publicKey: String
    listenPort: Int
    "host:port clients dial, when the operator configured it (WGNODE_PUBLIC_ENDPOINT)"
    endpoint: String
    "The node's own tunnel address"
    address: String!
    addressPool: String!
  }

  type Query {
    session(id: ID!): Session
    sessions(
      userId: Int
      deviceId: Int
      status: SessionStatus
      online: Boolean
      first: Int = 50
      after: String
    ): SessionConnection!
    device(userId: Int!, deviceId: Int!): Device
    devices(userId: Int!): [Device!]!
    node: NodeInfo!
  }

  type Mutation {
    "Creates the user and device when new; re-activates a deactivated device. Idempotent."
    activateDevice(userId: Int!, deviceId: Int!): Device!
    "Adds the key as a peer with a fresh /32 from the pool. A retry with the same key returns the same session."
    connectDevice(userId: Int!, deviceId: Int!, publicKey: String!): Session!
    "Ends every active session of this user and device."
    disconnectByUserIdAndDeviceId(userId: Int!, deviceId: Int!, reason: String): Boolean!
    disconnectBySessionId(sessionId: ID!, reason: String): Boolean!
    "Ends the device's sessions and refuses new ones until activateDevice. The record is kept."
    deactivateDevice(userId: Int!, deviceId: Int!, reason: String): Boolean!
  }
`;
