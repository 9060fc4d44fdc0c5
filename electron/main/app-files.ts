import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where the shell finds its pieces, relative to the bundled main script (dist/electron/main.cjs). */
export interface AppFiles {
  preload: string;
  rendererIndex: string;
  hostWorker: string;
  assetsDir: string;
  windowIcon: string;
  /** Monochrome, for macOS template images. */
  trayTemplateIcon: string;
  trayIcon: string;
}

export function resolveAppFiles(mainDir: string): AppFiles {
  const root = join(mainDir, '..', '..');
  const assetsDir = join(root, 'assets');
  return {
    preload: join(mainDir, 'preload.cjs'),
    rendererIndex: join(root, 'dist', 'renderer', 'index.html'),
    hostWorker: unpackedPath(join(root, 'dist', 'node', 'host-worker.mjs')),
    assetsDir,
    windowIcon: join(assetsDir, 'icon.png'),
    trayTemplateIcon: join(assetsDir, 'tray.png'),
    trayIcon: join(assetsDir, 'icons', '32x32.png'),
  };
}

// The host and the data-plane workers and processes it starts run from plain
// files: electron-builder.yml unpacks dist/node, and child processes cannot read an asar archive.
function unpackedPath(file: string): string {
  const marker = `${sep}app.asar${sep}`;
  return file.includes(marker) ? file.replace(marker, `${sep}app.asar.unpacked${sep}`) : file;
}

/**
 * Decides which URLs are the app's own: the renderer's index.html is the only
 * page a window may show, and the files beside it are its resources.
 */
export interface AppUrls {
  readonly indexUrl: string;
  isAppPage(url: string): boolean;
  isAppResource(url: string): boolean;
}

export function createAppUrls(rendererIndex: string, platform: NodeJS.Platform = process.platform): AppUrls {
  const index = pathToFileURL(rendererIndex);
  // Windows paths are case-insensitive, and Chromium may report the drive letter in either case.
  const fold = platform === 'win32' ? (path: string) => path.toLowerCase() : (path: string) => path;
  const indexPath = fold(index.pathname);
  const rendererDirPath = fold(pathToFileURL(dirname(rendererIndex) + sep).pathname);

  const filePath = (url: string): string | undefined => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.protocol !== 'file:' || parsed.host !== '') return undefined;
    return fold(parsed.pathname);
  };

  return {
    indexUrl: index.href,
    isAppPage: (url) => filePath(url) === indexPath,
    isAppResource: (url) => {
      // The URL parser has already resolved any `..` segments.
      return filePath(url)?.startsWith(rendererDirPath) ?? false;
    },
  };
}
