// Lint, with the layering of ARCHITECTURE.md as one import rule per folder
// (after VS Code's code-layering rule): where a file runs decides what it may import.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins =
  '^(node:.*|assert|buffer|child_process|cluster|crypto|dgram|dns|events|fs|fs/promises|http|http2|https|module|net|os|path|perf_hooks|process|readline|stream|string_decoder|timers|tls|tty|url|util|v8|vm|worker_threads|zlib)$';

const forbid = (regex, message) => ({ regex, message });

const rules = {
  noNode: forbid(nodeBuiltins, 'This layer runs outside Node: no node:* modules.'),
  noElectron: forbid('^electron$', 'Only electron/main and electron/preload may import electron; engines run in plain Node.'),
  noUi: forbid('^(react|react-dom|zustand|recharts)(/.*)?$', 'UI libraries belong to renderer/.'),
  noTransport: forbid('^ws$', 'Transports live in electron/headless; engines and services never touch one.'),
  noRenderer: forbid('(^|/)renderer/', 'Nothing outside renderer/ imports the renderer.'),
  noElectronTree: forbid('(^|/)electron/', 'shared/ and renderer/ never import from electron/.'),
  noServicesUp: forbid('(^|/)(services|host|headless|main|preload)/', 'The engine is the bottom layer: it never imports services, host or transports.'),
  noHostUp: forbid('(^|/)(headless|main|preload)/', 'The host never imports an entry point.'),
  noServicesToHost: forbid('(^|/)(host|headless|main|preload)/', 'Services never import the host or an entry point.'),
  noHeadlessToShell: forbid('(^|/)(main|preload)/', 'The headless console never imports the Electron shell.'),
  noShellToEngine: forbid('(^|/)(engine|services|headless)/', 'The Electron shell stays thin: it talks to the host worker, not to engines.'),
  noPreloadReach: forbid('(^|/)(engine|services|host|headless|main)/', 'The preload is a pipe and nothing else.'),
  // A folder's index.ts is its public face; other folders import only that.
  onlyEngineIndex: forbid('(^|/)engine/[^/]+/(?!index\\.ts$)[^/]+$', "Import another engine folder through its index.ts."),
  onlySiblingIndex: forbid('^\\.\\./[^/.]+/(?!index\\.ts$)[^/]+$', "Import another folder through its index.ts."),
};

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-artifacts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    // Node defines these two on globalThis as getters (lazy loading): each use in a hot path is an IC miss and a call.
    // The preload imports no node: module (see below), so it keeps the globals.
    files: ['electron/**/*.ts'],
    ignores: ['electron/preload/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: "Import it: `import { Buffer } from 'node:buffer'` (the global is a getter)." },
        { name: 'performance', message: "Import it: `import { performance } from 'node:perf_hooks'` (the global is a getter)." },
      ],
    },
  },
  { files: ['shared/**/*.ts'], rules: restrict(rules.noNode, rules.noElectron, rules.noUi, rules.noTransport, rules.noRenderer, rules.noElectronTree) },
  {
    files: ['electron/engine/**/*.ts'],
    rules: restrict(rules.noElectron, rules.noUi, rules.noTransport, rules.noRenderer, rules.noServicesUp, rules.onlySiblingIndex),
  },
  { files: ['electron/services/**/*.ts'], rules: restrict(rules.noElectron, rules.noUi, rules.noTransport, rules.noRenderer, rules.noServicesToHost, rules.onlyEngineIndex) },
  { files: ['electron/host/**/*.ts'], rules: restrict(rules.noElectron, rules.noUi, rules.noTransport, rules.noRenderer, rules.noHostUp, rules.onlyEngineIndex, rules.onlySiblingIndex) },
  { files: ['electron/headless/**/*.ts'], rules: restrict(rules.noElectron, rules.noUi, rules.noRenderer, rules.noHeadlessToShell, rules.onlyEngineIndex, rules.onlySiblingIndex) },
  { files: ['electron/main/**/*.ts'], rules: restrict(rules.noUi, rules.noRenderer, rules.noShellToEngine) },
  { files: ['electron/preload/**/*.ts'], rules: restrict(rules.noNode, rules.noUi, rules.noRenderer, rules.noPreloadReach) },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(rules.noNode, rules.noElectron, rules.noTransport, rules.noElectronTree),
  },
  { files: ['**/*.{js,mjs}'], languageOptions: { globals: { ...globals.node } } },
);
