// What `wgnode status` shows beside the interface: which wgnode answers and since when, so an
// operator sees at once whether the node restarted or runs an old build.
import type { SchemaModule } from '../build-schema.js';

export function createServerInfoModule(info: { version: string; startedAt: number }): SchemaModule {
  const startedAt = new Date(info.startedAt).toISOString();
  return {
    typeDefs: /* GraphQL */ `
      extend type NodeInfo {
        "The wgnode version serving this request"
        version: String!
        "When this wgnode process started (ISO 8601)"
        startedAt: String!
      }
    `,
    resolvers: { NodeInfo: { version: () => info.version, startedAt: () => startedAt } },
  };
}
