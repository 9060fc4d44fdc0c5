import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The dev server injects an inline React Refresh preamble, which the strict CSP
 * of index.html rightly blocks. The policy is removed while serving in dev only;
 * builds keep it.
 */
function dropCspInDev(): Plugin {
  return {
    name: 'netops:drop-csp-in-dev',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>\s*/, ''),
  };
}

// `NETOPS_SERVE_URL=http://127.0.0.1:PORT npx vite` proxies the RPC socket to a
// running `netops serve`; its auth cookie is host-scoped, so it reaches this port too.
const rpcTarget = process.env['NETOPS_SERVE_URL'];

export default defineConfig({
  root: 'renderer',
  // Relative asset URLs, so the same build loads from file:// in Electron and over http.
  base: './',
  plugins: [react(), dropCspInDev()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
  server: rpcTarget ? { proxy: { '/rpc': { target: rpcTarget, ws: true } } } : {},
});
