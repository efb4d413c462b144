// End-to-end suites need root, /dev/net/tun, wg, wireguard-go and ip. Without them a suite
// skips and says why; in CI a missing prerequisite is a broken runner, so the suite fails.
import { describe, it } from 'vitest';
import { privilegeProblem } from '../../src/testbed/index.js';

const problem = privilegeProblem();
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';

export function describeE2E(name: string, body: () => void): void {
  if (problem === null) {
    describe(name, body);
    return;
  }
  if (inCi) {
    describe(name, () => {
      it('has what end-to-end tests need', () => {
        throw new Error(`CI cannot run the end-to-end tests: ${problem}`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${problem}`);
  describe.skip(name, body);
}
