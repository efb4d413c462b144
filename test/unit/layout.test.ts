import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// One-way dependencies between the top folders: the product (src) knows nothing of its tooling
// (src/testbed), and scripts/ and test/ share that tooling instead of importing each other.
const ROOT = new URL('../..', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

/** The module specifiers a file imports or re-exports, resolved to paths from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'/g)].map((m) => m[1]!);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, join(ROOT, file, '..', s)));
}

function offenders(dir: string, forbidden: (target: string, file: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((file) => importsOf(file).filter((t) => forbidden(t, file)).map((t) => `${file} -> ${t}`));
}

describe('layout', () => {
  it('finds the imports it checks', () => {
    expect(importsOf('test/support/e2e.ts')).toContain('src/testbed/index.js');
  });

  it('keeps the product code in src free of the testbed', () => {
    expect(offenders('src', (target, file) => target.startsWith('src/testbed/') && !file.startsWith('src/testbed/'))).toEqual([]);
  });

  it('keeps scripts/ and test/ from importing each other', () => {
    expect(offenders('scripts', (target) => target.startsWith('test/'))).toEqual([]);
    expect(offenders('test', (target) => target.startsWith('scripts/'))).toEqual([]);
  });

  it('keeps the published client (src/client) free of server code and server dependencies', () => {
    expect(offenders('src/client', (target) => !target.startsWith('src/client/'))).toEqual([]);
    const bare = sourceFiles('src/client').flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'([^.'][^']*)'/g)].map((m) => m[1]!),
    );
    expect(bare.length).toBeGreaterThan(0);
    expect(bare.filter((specifier) => !specifier.startsWith('node:') && specifier !== '@graphql-typed-document-node/core')).toEqual([]);
  });

  it('keeps the testbed free of scripts/ and test/', () => {
    expect(offenders('src/testbed', (target) => target.startsWith('scripts/') || target.startsWith('test/'))).toEqual([]);
  });
});
