import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type BinaryState = 'installed' | 'missing';
interface StartElectronScript {
  MAIN_BUNDLE: string;
  DOWNLOAD_FAILED_MESSAGE: string;
  electronBinaryState(options: { packageDir: string; env: Record<string, string | undefined>; exists?: (file: string) => boolean; readText?: (file: string) => string }): BinaryState;
  exitCodeFor(code: number | null, signal: string | null, signalNumbers?: Record<string, number>): number;
  startElectron(options: { mainBundle?: string; args?: string[]; packageDir?: string; log?: { info(message: string): void; error(message: string): void } }): Promise<number>;
}

// A plain .mjs script with no type declarations: imported by URL and typed here.
const scriptUrl: string = new URL('../../scripts/start-electron.mjs', import.meta.url).href;
const script = (await import(scriptUrl)) as StartElectronScript;

describe('start-electron: deciding whether to download', () => {
  const files = (present: Record<string, string>) => ({
    exists: (file: string) => file in present,
    readText: (file: string) => present[file] ?? '',
  });

  it('needs a download when path.txt is missing (the postinstall never ran)', () => {
    expect(script.electronBinaryState({ packageDir: '/e', env: {}, ...files({}) })).toBe('missing');
  });

  it('needs a download when path.txt names a binary that is not there', () => {
    expect(script.electronBinaryState({ packageDir: '/e', env: {}, ...files({ '/e/path.txt': 'electron' }) })).toBe('missing');
  });

  it('is installed when path.txt names a binary under dist/', () => {
    expect(script.electronBinaryState({ packageDir: '/e', env: {}, ...files({ '/e/path.txt': 'electron\n', '/e/dist/electron': '' }) })).toBe('installed');
  });

  it('trusts ELECTRON_OVERRIDE_DIST_PATH, as the electron package does', () => {
    expect(script.electronBinaryState({ packageDir: '/e', env: { ELECTRON_OVERRIDE_DIST_PATH: '/opt/electron' }, ...files({}) })).toBe('installed');
  });

  it('hands on the exit code, or 128 + n for a signal', () => {
    expect(script.exitCodeFor(0, null)).toBe(0);
    expect(script.exitCodeFor(3, null)).toBe(3);
    expect(script.exitCodeFor(null, 'SIGTERM', { SIGTERM: 15 })).toBe(143);
    expect(script.exitCodeFor(null, null)).toBe(1);
  });
});

// A stand-in for node_modules/electron: index.js answers the binary's path
// from path.txt like the real one, install.js "downloads" a shell script or fails.
describe.skipIf(process.platform === 'win32')('start-electron: running', () => {
  let dir: string;
  let packageDir: string;
  let mainBundle: string;
  const messages: string[] = [];
  const log = { info: (m: string) => void messages.push(m), error: (m: string) => void messages.push(m) };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netops-start-'));
    packageDir = join(dir, 'electron');
    mainBundle = join(dir, 'main.cjs');
    messages.length = 0;
    await mkdir(packageDir);
    await writeFile(mainBundle, '');
    await writeFile(
      join(packageDir, 'index.js'),
      "const fs = require('fs'); const path = require('path');\n" +
        "module.exports = path.join(__dirname, 'dist', fs.readFileSync(path.join(__dirname, 'path.txt'), 'utf8'));\n",
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeInstaller(binary: string | null): Promise<void> {
    const body =
      binary === null
        ? 'process.exit(1);\n'
        : "const fs = require('fs'); const path = require('path');\n" +
          "fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true });\n" +
          `fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), ${JSON.stringify(binary)}, { mode: 0o755 });\n` +
          "fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');\n";
    await writeFile(join(packageDir, 'install.js'), body);
    // The fake package is CommonJS whatever the surrounding package.json says.
    await writeFile(join(packageDir, 'package.json'), '{ "type": "commonjs" }');
  }

  it('fetches a missing binary first, then runs it on the main bundle with the arguments, and hands on its exit code', async () => {
    const argsFile = join(dir, 'args.txt');
    await fakeInstaller(`#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(argsFile)}\nexit 7\n`);
    const code = await script.startElectron({ mainBundle, args: ['--data-dir', 'my data'], packageDir, log });
    expect(code).toBe(7);
    expect((await readFile(argsFile, 'utf8')).split('\n')).toEqual([mainBundle, '--data-dir', 'my data', '']);
    expect(messages).toEqual(['Fetching the Electron binary (first start only)...']);
  });

  it('does not download again once the binary is there', async () => {
    await fakeInstaller('#!/bin/sh\nexit 0\n');
    await script.startElectron({ mainBundle, args: [], packageDir, log });
    await writeFile(join(packageDir, 'install.js'), 'process.exit(1);\n');
    messages.length = 0;
    await expect(script.startElectron({ mainBundle, args: [], packageDir, log })).resolves.toBe(0);
    expect(messages).toEqual([]);
  });

  it('says once, clearly, that the binary could not be downloaded and that `npm run serve` works instead', async () => {
    await fakeInstaller(null);
    await expect(script.startElectron({ mainBundle, args: [], packageDir, log })).resolves.toBe(1);
    expect(messages).toEqual(['Fetching the Electron binary (first start only)...', `\n${script.DOWNLOAD_FAILED_MESSAGE}`]);
    expect(script.DOWNLOAD_FAILED_MESSAGE).toMatch(/Electron binary could not be downloaded/);
    expect(script.DOWNLOAD_FAILED_MESSAGE).toContain('npm run serve');
  });

  it('forwards a termination signal to Electron and exits as it did', async () => {
    const started = join(dir, 'started');
    await fakeInstaller(`#!/bin/sh\ntouch ${JSON.stringify(started)}\nexec sleep 30\n`);
    const listenersBefore = process.listenerCount('SIGTERM');
    const exit = script.startElectron({ mainBundle, args: [], packageDir, log });
    await vi.waitFor(async () => expect(await readFile(started, 'utf8')).toBe(''), { timeout: 5_000 });
    process.emit('SIGTERM');
    await expect(exit).resolves.toBe(143);
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
  });

  it('asks for a build when the main bundle is missing', async () => {
    await expect(script.startElectron({ mainBundle: join(dir, 'nope.cjs'), args: [], packageDir, log })).resolves.toBe(1);
    expect(messages[0]).toMatch(/npm run build/);
  });
});

it('points at the bundle the build writes', () => {
  expect(script.MAIN_BUNDLE.replaceAll('\\', '/')).toMatch(/\/dist\/electron\/main\.cjs$/);
});
