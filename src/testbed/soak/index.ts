// The chaos soak (issue 14): `npm run soak` and test/e2e/soak.test.ts share it.
export { formatReport, runSoak, SOAK_COMMAND_TIMEOUT_MS, SOAK_INTERVAL_MS } from './run.js';
export type { SoakOptions, SoakReport } from './run.js';
