// A `wg` wrapper for WGNODE_WG_BIN whose behaviour the soak switches by writing a file: pass
// through, fail (exit 1, nothing done), fail after the change (the command ran, the exit says it
// did not), or hang (longer than any command timeout, nothing done).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const WG_MODES = ['pass', 'fail', 'fail-after', 'hang'] as const;
export type WgMode = (typeof WG_MODES)[number];

export interface WgFault {
  /** The wrapper's path, for WGNODE_WG_BIN. */
  bin: string;
  set(mode: WgMode): void;
}

export function createWgFault(dir: string): WgFault {
  const modeFile = join(dir, 'wg-mode');
  const bin = join(dir, 'wg-wrapper');
  // `exec sleep`: the agent's timeout kills the sleeping process itself, so nothing runs later.
  writeFileSync(
    bin,
    `#!/bin/sh
mode=$(cat '${modeFile}' 2>/dev/null)
case "$mode" in
  fail) echo 'wg: soak fault (failed, nothing done)' >&2; exit 1 ;;
  fail-after) wg "$@"; echo 'wg: soak fault (failed after the change)' >&2; exit 1 ;;
  hang) exec sleep 60 ;;
esac
exec wg "$@"
`,
    { mode: 0o755 },
  );
  const set = (mode: WgMode) => writeFileSync(modeFile, mode);
  set('pass');
  return { bin, set };
}
