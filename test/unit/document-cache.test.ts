import { buildSchema, specifiedRules, type ValidationRule } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createDocumentCache, MAX_CACHED_QUERY_LENGTH } from '../../src/graphql/document-cache.js';

const schema = buildSchema(`type Query { a: Int, b(x: Int): Int }`);

/** A validation rule that counts how many documents were validated. */
function counting() {
  const seen = { n: 0 };
  const rule: ValidationRule = () => {
    seen.n++;
    return {};
  };
  return { seen, rule };
}

describe('document cache', () => {
  it('parses and validates each distinct text once', () => {
    const { seen, rule } = counting();
    const prepare = createDocumentCache(schema, [...specifiedRules, rule]);
    const first = prepare('{ a }');
    for (let i = 0; i < 100; i++) expect(prepare('{ a }')).toBe(first);
    prepare('{ b(x: 1) }');
    expect(seen.n).toBe(2);
  });

  it('caches validation errors and syntax errors too', () => {
    const { seen, rule } = counting();
    const prepare = createDocumentCache(schema, [...specifiedRules, rule]);
    const invalid = prepare('{ nope }');
    expect('errors' in invalid && invalid.errors.length).toBe(1);
    expect(prepare('{ nope }')).toBe(invalid);
    const broken = prepare('{ a');
    expect('syntaxError' in broken).toBe(true);
    expect(prepare('{ a')).toBe(broken);
    expect(seen.n).toBe(1);
  });

  it('evicts the least recently used text, so a hot text survives a flood of one-off texts', () => {
    const { seen, rule } = counting();
    const prepare = createDocumentCache(schema, [...specifiedRules, rule], 3);
    prepare('{ a }');
    for (let i = 0; i < 10; i++) {
      prepare(`{ b(x: ${i}) }`);
      prepare('{ a }'); // used again: moves to the back of the line
    }
    const before = seen.n;
    prepare('{ a }');
    expect(seen.n).toBe(before);
    prepare('{ b(x: 0) }'); // long evicted
    expect(seen.n).toBe(before + 1);
  });

  it('does not keep texts longer than MAX_CACHED_QUERY_LENGTH', () => {
    const { seen, rule } = counting();
    const prepare = createDocumentCache(schema, [...specifiedRules, rule]);
    const long = `{ a ${'#'.repeat(MAX_CACHED_QUERY_LENGTH)}\n }`;
    prepare(long);
    prepare(long);
    expect(seen.n).toBe(2);
  });
});
