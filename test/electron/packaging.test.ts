import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveAppFiles } from '../../electron/main/app-files.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
interface BuilderConfig {
  files: string[];
  asarUnpack: string[];
  extraMetadata: { main: string };
  linux: { maintainer: string };
  mac: Record<string, unknown>;
  win: Record<string, unknown>;
  nsis: Record<string, unknown>;
}
const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema", async () => {
    await expect(validateConfiguration(config as Parameters<typeof validateConfiguration>[0], new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('names the app and starts it from the bundled main script', () => {
    expect(config).toMatchObject({
      appId: 'dev.netops.console',
      productName: 'NetOps Console',
      directories: { output: 'release', buildResources: 'assets' },
      asar: true,
      extraMetadata: { main: 'dist/electron/main.cjs' },
    });
    expect(packageJson.main).toBe(config.extraMetadata.main);
  });

  it('builds AppImage and deb, dmg with a hardened runtime, and an NSIS installer that asks where to go', () => {
    expect(config.linux).toMatchObject({ target: ['AppImage', 'deb'], category: 'Network', icon: 'assets/icons' });
    expect(config.linux.maintainer).toMatch(/<.+@.+>/);
    expect(config.mac).toMatchObject({ target: 'dmg', category: 'public.app-category.developer-tools', hardenedRuntime: true });
    expect(config.win).toMatchObject({ target: 'nsis' });
    expect(config.nsis).toMatchObject({ oneClick: false, allowToChangeInstallationDirectory: true });
  });

  it('packs every image the shell loads at run time', () => {
    const files = resolveAppFiles(join(root, 'dist', 'electron'));
    for (const image of [files.windowIcon, files.trayIcon, files.trayTemplateIcon]) {
      const path = relative(root, image).replaceAll('\\', '/');
      expect(config.files, path).toContain(path);
      expect(existsSync(image), path).toBe(true);
    }
    expect(config.files).toContain('assets/tray@2x.png');
  });

  it('keeps the host worker outside the asar archive, where the main process looks for it', () => {
    expect(config.asarUnpack).toContain('dist/node/**');
    expect(resolveAppFiles('/app/resources/app.asar/dist/electron').hostWorker).toBe('/app/resources/app.asar.unpacked/dist/node/host-worker.mjs');
  });
});

describe('icons', () => {
  it.each([16, 24, 32, 48, 64, 128, 256, 512])('assets/icons/%ix%i.png is that size', (size) => {
    expect(pngSize(join(root, 'assets', 'icons', `${size}x${size}.png`))).toEqual({ width: size, height: size });
  });

  it('has a 512 px icon.png and 22 px tray images with a 2x variant', () => {
    expect(pngSize(join(root, 'assets', 'icon.png'))).toEqual({ width: 512, height: 512 });
    expect(pngSize(join(root, 'assets', 'tray.png'))).toEqual({ width: 22, height: 22 });
    expect(pngSize(join(root, 'assets', 'tray@2x.png'))).toEqual({ width: 44, height: 44 });
  });
});
