// Filters build their SQL from the fields a caller set; there are few combinations, so each
// distinct text is prepared once and reused.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

export function createStatementCache(db: Db): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) cache.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
}
