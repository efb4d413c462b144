import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM builds without an "exports" map: Node (and so graphql-http)
    // loads the CJS one, Vite would pick the ESM one, and two graphql instances refuse each
    // other's schema. Point Vite at the file Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // e2e files build network namespaces; keep the 2-core machine from oversubscribing.
    maxWorkers: 2,
  },
});
