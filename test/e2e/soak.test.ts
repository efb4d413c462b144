// The short chaos soak (issue 14) inside `npm test`: a few fast-check model-based runs of random
// operations and faults against a real wgnode and a real wireguard-go interface, every invariant
// checked after each step and after convergence. `npm run soak -- --duration 60` is the long one;
// a failure here prints the seed and path to replay there (--seed N --path P).
import { expect, it } from 'vitest';
import { formatReport, runSoak } from '../../src/testbed/soak/index.js';
import { describeE2E } from '../support/e2e.js';

const DURATION_MS = 35_000;
const SHRINK_LIMIT_MS = 120_000;

describeE2E('chaos soak (wireguard-go, short)', () => {
  it('keeps the registry and the interface in agreement under random operations and faults', async () => {
    const seed = process.env.WGNODE_SOAK_SEED ? Number(process.env.WGNODE_SOAK_SEED) : undefined;
    const report = await runSoak({
      durationMs: DURATION_MS,
      maxCommands: 30,
      shrinkLimitMs: SHRINK_LIMIT_MS,
      ...(seed !== undefined ? { seed } : {}),
      log: (line) => console.log(line),
    });
    console.log(`[measure] ${formatReport(report)}`);
    expect(report.failure ?? '', 'the soak found an invariant violation').toBe('');
    expect(report.violations).toBe(0);
    expect(report.stats.convergences).toBeGreaterThan(0);
  }, DURATION_MS + SHRINK_LIMIT_MS + 60_000);
});
