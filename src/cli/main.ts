#!/usr/bin/env node
// The `wgnode` executable: wires runCli to this process's streams, environment and exit code.
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  cwd: process.cwd(),
  now: Date.now,
});
// Let stdout drain before exiting (a pipe to `jq` or `head` must get everything).
process.stdout.write('', () => process.exit(code));
