// The package version, read once from package.json (two levels up from src/ or three from dist/src/).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'wgnode' && pkg.version) return pkg.version;
    } catch {
      // not at this level: try the next one
    }
  }
  return 'unknown';
}

export const VERSION = readVersion();
