// node_state: small facts about the node that must survive a restart (e.g. the last reconcile
// report), stored as JSON text under a key.
import type { Db } from './database.js';

export function createNodeStateStore(db: Db) {
  const get = db.prepare<[string], string>('SELECT value FROM node_state WHERE key = ?').pluck();
  const put = db.prepare<[string, string]>(
    'INSERT INTO node_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    /** The stored value, or null when absent or unreadable (a bad row must not stop the agent). */
    getJson<T>(key: string): T | null {
      const text = get.get(key);
      if (text === undefined) return null;
      try {
        return JSON.parse(text) as T;
      } catch {
        return null;
      }
    },
    putJson: (key: string, value: unknown): void => void put.run(key, JSON.stringify(value)),
  };
}
