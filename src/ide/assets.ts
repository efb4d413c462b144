// Ruru's browser files as the build extracted them (scripts/build-ide-assets.ts, part of
// `npm run build`): brotli-compressed files plus a manifest of their ETags, so the server needs no
// ruru at run time. Served as stored to a browser that accepts br, decompressed for any other.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';
import { ASSET_TYPES, type AssetManifest } from './asset-types.js';

const unbrotli = promisify(brotliDecompress);

export interface IdeAssets {
  /** Ruru's version: part of the asset URL, so an upgrade changes it. */
  version: string;
  /** The file `name` (e.g. `ruru.js`) and its headers, or null when Ruru has no such file. */
  get(name: string, acceptEncoding: string | undefined): Promise<{ content: Buffer; headers: Record<string, string> } | null>;
}

export function loadIdeAssets(): IdeAssets {
  const dir = findAssetDir();
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as AssetManifest;
  const files = new Map(Object.entries(manifest.files));
  const cache = new Map<string, Promise<Buffer>>();
  return {
    version: manifest.version,
    async get(name, acceptEncoding): Promise<{ content: Buffer; headers: Record<string, string> } | null> {
      const etag = files.get(name);
      if (etag === undefined) return null;
      const type = ASSET_TYPES[name.slice(name.lastIndexOf('.') + 1)]!;
      let stored = cache.get(name);
      if (!stored) cache.set(name, (stored = readFile(new URL(`ruru-${manifest.version}/${name}.br`, dir))));
      const compressed = await stored;
      if (/\bbr\b/i.test(acceptEncoding ?? '')) {
        return { content: compressed, headers: { 'content-type': type, 'content-encoding': 'br', 'content-length': String(compressed.length), etag } };
      }
      const content = await unbrotli(compressed);
      return { content, headers: { 'content-type': type, 'content-length': String(content.length), etag } };
    },
  };
}

// dist/ide-assets/ is two levels up from dist/src/ide/ (the built server), and under dist/ from
// src/ide/ (tests and tsx run the sources).
function findAssetDir(): URL {
  for (const relative of ['../../ide-assets/', '../../dist/ide-assets/']) {
    const dir = new URL(relative, import.meta.url);
    try {
      readFileSync(new URL('manifest.json', dir));
      return dir;
    } catch {
      // not at this level: try the next one
    }
  }
  throw new Error('the GraphQL IDE files are missing (dist/ide-assets/): run `npm run build`');
}
