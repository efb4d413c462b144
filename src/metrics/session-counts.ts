// Session gauges, read at scrape time from the registry's indexed counts (never a dump).
import type { Registry } from '../registry/index.js';
import { onlineSince } from '../registry/online.js';
import type { SessionCounts } from './metrics.js';

export function registrySessionCounts(registry: Pick<Registry, 'sessions'>, onlineWindowS: number, now: () => number = Date.now): SessionCounts {
  const { sessions } = registry;
  return {
    active: () => sessions.count({ status: 'ACTIVE' }),
    ending: () => sessions.count({ status: 'ENDING' }),
    online: () => sessions.count({ online: { value: true, since: onlineSince(now(), onlineWindowS) } }),
  };
}
