// `wgnode doctor`: local checks for when the server may be down. It reads the configuration the
// server would read, runs wg/ip itself, and opens the registry read-only; each line says ✓ or ✗
// and, for ✗, what to fix. Exit 1 when any check fails.
import type { CheckResult } from '../doctor/system-checks.js';
import { EXIT } from '../errors.js';
import type { CommandContext } from '../context.js';
import type { RegisterCommand } from './types.js';

export const registerDoctor: RegisterCommand = (program, action) => {
  program
    .command('doctor')
    .description('check this machine for what wgnode needs (wg, ip, interface, permissions, database, socket, clock) and say what to fix')
    .action(
      action(async (ctx) => {
        const { runChecks } = await import('../doctor/run-checks.js');
        const results = await runChecks(ctx.io);
        const ok = results.every((r) => r.ok);
        ctx.print({ ok, checks: results }, () => formatResults(results, ctx));
        return ok ? EXIT.OK : EXIT.FAILED;
      }),
    );
};

function formatResults(results: CheckResult[], ctx: CommandContext): string {
  const { style } = ctx;
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const mark = r.ok ? style.green('✓') : style.red('✗');
    const fix = !r.ok && r.fix ? `\n  ${' '.repeat(width)}  ${style.yellow('fix:')} ${r.fix}` : '';
    return `${mark} ${r.name.padEnd(width)}  ${r.detail}${fix}\n`;
  });
  const failed = results.filter((r) => !r.ok).length;
  return lines.join('') + (failed ? `${failed} problem${failed > 1 ? 's' : ''} found\n` : 'all checks passed\n');
}
