// `npm run demo` is the README's first command: its self-test sends the contract's requests to
// the demo node over HTTP and checks the answers and the interface.
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { describeE2E } from '../support/e2e.js';

describeE2E('npm run demo', () => {
  it('brings up a node on which the contract requests answer as published', async () => {
    const result = await execa(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--self-test'], {
      cwd: new URL('../..', import.meta.url).pathname,
      reject: false,
      timeout: 60_000,
    });
    expect(result.stdout).toContain('tunnel before: up');
    expect(result.stdout).not.toContain('FAIL');
    expect(result.stdout).toContain('peers on the interface: 4 → 3');
    expect(result.exitCode, result.stderr).toBe(0);
  }, 90_000);
});
