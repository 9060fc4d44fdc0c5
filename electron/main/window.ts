import type { BrowserWindowConstructorOptions, Session } from 'electron';
import type { AppFiles, AppUrls } from './app-files.ts';

export function mainWindowOptions(files: Pick<AppFiles, 'preload' | 'windowIcon'>, options: { isPackaged: boolean }): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'NetOps Console',
    backgroundColor: '#0b1220',
    icon: files.windowIcon,
    webPreferences: {
      preload: files.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: !options.isPackaged,
    },
  };
}

/** The parts of a window's webContents the guards touch. */
export interface GuardedWebContents {
  on(event: 'will-navigate', listener: (event: { readonly url: string; preventDefault(): void }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** Only plain web links leave the app, and only to the default browser. */
export function isSafeExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '' && parsed.password === '';
}

/**
 * The window shows the app's own page and nothing else: no navigation away,
 * no new windows, no <webview>. A web link the operator follows opens in the
 * default browser instead.
 */
export function guardWebContents(
  contents: GuardedWebContents,
  policy: { isAppPage: AppUrls['isAppPage']; openExternal(url: string): void },
): void {
  const openOutside = (url: string): void => {
    if (isSafeExternalUrl(url)) policy.openExternal(url);
  };
  contents.on('will-navigate', (event) => {
    if (policy.isAppPage(event.url)) return;
    event.preventDefault();
    openOutside(event.url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The console needs no camera, notifications from the page, clipboard reads or anything else a page may ask for. */
export function denyAllPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export interface ShellWindow {
  readonly webContents: GuardedWebContents;
  loadFile(path: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
}

export interface MainWindowDeps<W extends ShellWindow> {
  createWindow(options: BrowserWindowConstructorOptions): W;
  openExternal(url: string): void;
  onLoadFailed(error: unknown): void;
}

/** Creates the console window: guarded before its first load, shown once it has painted. */
export function createMainWindow<W extends ShellWindow>(
  deps: MainWindowDeps<W>,
  setup: { files: Pick<AppFiles, 'preload' | 'windowIcon' | 'rendererIndex'>; urls: Pick<AppUrls, 'isAppPage'>; isPackaged: boolean },
): W {
  const window = deps.createWindow(mainWindowOptions(setup.files, { isPackaged: setup.isPackaged }));
  guardWebContents(window.webContents, { isAppPage: setup.urls.isAppPage, openExternal: deps.openExternal });
  window.once('ready-to-show', () => window.show());
  window.loadFile(setup.files.rendererIndex).catch(deps.onLoadFailed);
  return window;
}
