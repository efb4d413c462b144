// The chaos soak (issue 14): `npm run soak` and test/e2e/soak.test.ts share it.
export { formatReport, runSoak } from './run.js';
