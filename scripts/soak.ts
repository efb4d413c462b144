// npm run soak -- [--duration SECONDS] [--seed N] [--path PATH] [--max-commands N]
// The chaos soak of issue 14 against a real wgnode and a real wireguard-go interface (needs root).
// A failure prints the seed, the path and the shrunk sequence; replay it with --seed and --path.
import { parseArgs } from 'node:util';
import { privilegeProblem } from '../src/testbed/index.js';
import { formatReport, runSoak } from '../src/testbed/soak/index.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    seed: { type: 'string' },
    path: { type: 'string' },
    'max-commands': { type: 'string', default: '40' },
  },
});
const integer = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${v}`);
  return n;
};

const problem = privilegeProblem();
if (problem) {
  console.error(`soak: ${problem}`);
  process.exit(2);
}
if (values.path !== undefined && values.seed === undefined) {
  console.error('soak: --path replays a counterexample of one seed: give --seed too');
  process.exit(2);
}
const report = await runSoak({
  durationMs: integer('duration', values.duration) * 1000,
  ...(values.seed !== undefined ? { seed: integer('seed', values.seed) } : {}),
  ...(values.path !== undefined ? { path: values.path } : {}),
  maxCommands: integer('max-commands', values['max-commands']),
});
console.log(formatReport(report));
process.exit(report.violations === 0 ? 0 : 1);
