// The IDE's page and its boot module. No inline script or style, so the page's CSP can be
// `script-src 'self'`: everything the browser runs is a file this node serves.

/** Security headers of the page: the browser loads and connects to this node only. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // GraphiQL and its editor (Monaco) set inline styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function pageHtml(base: string, assets: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wgnode GraphQL IDE</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets}ruru.css">
<link rel="stylesheet" href="${base}page.css">
<script type="module" src="${base}boot.js"></script>
</head>
<body>
<div id="ruru-root"><p class="wgnode-loading">Loading the GraphQL IDE…</p></div>
</body>
</html>
`;
}

export const PAGE_CSS = `body { margin: 0; }
#ruru-root { height: 100vh; }
.wgnode-loading { font: 16px system-ui, sans-serif; padding: 2rem; }
`;

const DEFAULT_QUERY = `# wgnode GraphQL IDE.
# 1. Open the Headers tab below and put your token in place of PASTE-YOUR-TOKEN.
# 2. Press the run button (or Ctrl-Enter).
{
  node {
    interface
    publicKey
    listenPort
    endpoint
    addressPool
  }
  sessions(status: ACTIVE, first: 20) {
    totalCount
    nodes { id userId deviceId address online lastHandshakeAt }
  }
}
`;

/** The headers editor's starting text. GraphiQL keeps headers in memory only (not localStorage) unless the operator opts in. */
const DEFAULT_HEADERS = `{
  "Authorization": "Bearer PASTE-YOUR-TOKEN"
}`;

/** Sets up Monaco's workers (same origin, module workers), then renders Ruru (GraphiQL) against /graphql. */
export function bootModule(base: string, assets: string): string {
  const config = {
    endpoint: '/graphql',
    staticPath: assets,
    defaultQuery: DEFAULT_QUERY,
    defaultHeaders: DEFAULT_HEADERS,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: 'headers',
    showPersistHeadersSettings: true,
  };
  return `import ${JSON.stringify(`${base}monaco-env.js`)};
import { React, createRoot, Ruru } from ${JSON.stringify(`${assets}ruru.js`)};
createRoot(document.getElementById('ruru-root')).render(React.createElement(Ruru, ${JSON.stringify(config)}));
`;
}

/** Evaluated before ruru.js (import order): Monaco asks for its workers through this. */
export function monacoEnvModule(assets: string): string {
  return `const files = { json: 'jsonWorker.js', graphql: 'graphqlWorker.js' };
globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    return new Worker(new URL(${JSON.stringify(assets)} + (files[label] ?? 'editorWorker.js'), location.href), { type: 'module' });
  },
};
`;
}
