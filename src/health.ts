// Readiness: the database answers and the interface exists. Each check says why it failed.
import type { Readiness } from './app.js';
import type { Registry } from './registry/index.js';
import type { WireGuardInterface } from './wireguard/interface.js';

export function createReadiness(deps: { registry: Registry; wireguard: WireGuardInterface }): () => Promise<Readiness> {
  return async () => {
    const checks: Readiness['checks'] = {};
    try {
      deps.registry.db.prepare('SELECT 1').get();
      checks.database = { ok: true };
    } catch (error) {
      checks.database = { ok: false, detail: `the registry does not answer: ${(error as Error).message}` };
    }
    const exists = await deps.wireguard.exists();
    checks.interface = exists ? { ok: true } : { ok: false, detail: `interface ${deps.wireguard.name} does not exist` };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}
