// Tooling for the demo, the benchmark, the measurements and the tests (never imported by the
// product code in src): real WireGuard hosts in network namespaces, and real wgnode processes.
export { createTestbed, generateKeyPair, inNsArgv, ipv6Problem, privilegeProblem, startHostInterface } from './netns.js';
export { DEACTIVATE, DISCONNECT } from './contract-requests.js';
export type { Client, Testbed } from './netns.js';
export { E2E_ADMIN_TOKEN, startWgnode, waitFor } from './wgnode-process.js';
export type { WgnodeProcess } from './wgnode-process.js';
