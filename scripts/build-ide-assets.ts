// Extracts the GraphQL IDE's browser files from the `ruru` package (a build-time dependency) into
// dist/ide-assets/ruru-<version>/: brotli-compressed, as Ruru ships them, with a manifest of their
// ETags. The server serves these files (src/ide/assets.ts), so a production install needs neither
// ruru nor its dependency tree. ruru is pinned to 2.0.0-rc.3 and graphile-config (its CLI's) to
// 1.0.0-rc.2 in package.json: the releases after them declare `engines` node >= 22, and this
// project supports Node 20 (npm ci must print no EBADENGINE).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSET_TYPES, type AssetManifest } from '../src/ide/asset-types.js';

const require = createRequire(import.meta.url);
const ruruDist = dirname(require.resolve('ruru/static'));
const { version } = JSON.parse(readFileSync(join(ruruDist, '..', 'package.json'), 'utf8')) as { version: string };
// What `ruru/static`'s getStaticFile serves: every browser file, brotli-compressed, with its ETag
// (source maps live in a separate bundle and are left out).
const { bundleData } = require(join(ruruDist, 'bundleCode.js')) as { bundleData: Record<string, { etag: string; buffer: Buffer }> };

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'ide-assets');
const dir = join(out, `ruru-${version}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const manifest: AssetManifest = { version, files: {} };
let bytes = 0;
for (const [name, { etag, buffer }] of Object.entries(bundleData)) {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  if (!/^[\w.-]+$/.test(name) || !(ext in ASSET_TYPES)) throw new Error(`ruru ${version}: unexpected asset ${name}`);
  writeFileSync(join(dir, `${name}.br`), buffer);
  manifest.files[name] = etag;
  bytes += buffer.length;
}
if (!manifest.files['ruru.js'] || !manifest.files['ruru.css']) throw new Error(`ruru ${version}: no ruru.js/ruru.css in its bundle`);
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`ide assets: ruru ${version}, ${Object.keys(manifest.files).length} files, ${(bytes / 1e6).toFixed(1)} MB (brotli) in dist/ide-assets/`);
