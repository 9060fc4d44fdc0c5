// Builds everything that runs: the node-side bundles with esbuild, the renderer with vite.
import { build as esbuild } from 'esbuild';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

// ESM bundles of CommonJS packages (ws) need a require of their own.
const esmRequireBanner = "import { createRequire as __netopsCreateRequire } from 'node:module'; const require = __netopsCreateRequire(import.meta.url);";

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Optional native speed-ups of ws: never required, and we ship no native addons.
  external: ['bufferutil', 'utf-8-validate'],
};

const targets = [
  { entryPoints: { cli: 'electron/headless/main.ts' }, outdir: 'dist/node', format: 'esm', banner: { js: esmRequireBanner }, ...nodeCommon },
  // .mjs: in a packaged app the worker sits in app.asar.unpacked, where no package.json says "type": "module".
  { entryPoints: { 'gateway-worker': 'electron/engine/gateway/worker/thread-main.ts' }, outdir: 'dist/node', outExtension: { '.js': '.mjs' }, format: 'esm', banner: { js: esmRequireBanner }, ...nodeCommon },
  { entryPoints: { 'host-worker': 'electron/host/worker.ts' }, outdir: 'dist/node', outExtension: { '.js': '.mjs' }, format: 'esm', banner: { js: esmRequireBanner }, ...nodeCommon },
  { entryPoints: { main: 'electron/main/main.ts' }, outdir: 'dist/electron', outExtension: { '.js': '.cjs' }, format: 'cjs', ...nodeCommon, external: [...nodeCommon.external, 'electron'] },
  { entryPoints: { preload: 'electron/preload/preload.ts' }, outdir: 'dist/electron', outExtension: { '.js': '.cjs' }, format: 'cjs', ...nodeCommon, external: ['electron'] },
].filter((target) => Object.values(target.entryPoints).every((entry) => existsSync(entry)));

const started = Date.now();
await rm('dist', { recursive: true, force: true });
await Promise.all(targets.map((target) => esbuild(target)));
const { build: viteBuild } = await import('vite');
await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' });
console.log(`build: ${targets.length} bundles and the renderer in ${Date.now() - started} ms`);
