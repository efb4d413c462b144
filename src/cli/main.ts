#!/usr/bin/env node
// The `wgnode` command. `serve` runs the agent; operator commands come with the CLI work.
import { ConfigError, loadConfig } from '../config.js';
import { startAgent } from '../index.js';

async function main(argv: string[]): Promise<number> {
  const [command = 'serve'] = argv;
  if (command === 'serve') {
    let config;
    try {
      config = loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`wgnode: configuration error: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    const agent = await startAgent(config);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    await agent.close();
    return 0;
  }
  process.stderr.write(`wgnode: unknown command ${JSON.stringify(command)}; try: wgnode serve\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`wgnode: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
