// Shared by the build step that extracts Ruru's files (scripts/build-ide-assets.ts) and the server.

/** dist/ide-assets/manifest.json: Ruru's version and the ETag of each of its files. */
export interface AssetManifest {
  version: string;
  files: Record<string, string>;
}

/** Content types of the file kinds Ruru's bundle holds. */
export const ASSET_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  ts: 'text/plain; charset=utf-8',
  ttf: 'font/ttf',
};
