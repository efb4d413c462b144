// The contract's two requests, word for word as published (shared/contract): the demo, the
// benchmark and the tests send exactly what the control plane sends.
export const DISCONNECT = `mutation disconnectByUserIdAndDeviceId($userId: Int!, $deviceId: Int!) { disconnectByUserIdAndDeviceId(userId: $userId, deviceId: $deviceId) }`;
export const DEACTIVATE = `mutation deactivateDevice($userId: Int!, $deviceId: Int!) { deactivateDevice(userId: $userId, deviceId: $deviceId) }`;
