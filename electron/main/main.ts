// Electron main entry (bundled to dist/electron/main.cjs): wiring only; each piece lives in its own module.
import { app, BrowserWindow, ipcMain, Menu, nativeImage, Notification, session, shell, Tray } from 'electron';
import { Worker } from 'node:worker_threads';
import { defaultDataDir } from '../host/paths.ts';
import type { HostWorkerData } from '../host/worker.ts';
import { createAppUrls, resolveAppFiles } from './app-files.ts';
import { claimSingleInstance, installGracefulQuit } from './app-lifecycle.ts';
import { installContentSecurityPolicy } from './content-security-policy.ts';
import { HostRelay } from './host-relay.ts';
import { IpcBridge } from './ipc-bridge.ts';
import { applicationMenuTemplate } from './menu.ts';
import { createNotifier } from './notifications.ts';
import { parseShellArgs } from './shell-args.ts';
import { createAppTray, trayIconFor } from './tray.ts';
import { createMainWindow, denyAllPermissions } from './window.ts';

const MAX_LOGGED_DROPS = 20;

// Module scope keeps the tray from being garbage-collected (and vanishing).
let tray: Tray | undefined;

app.setName('NetOps Console');
app.enableSandbox();
start();

function start(): void {
  if (!claimSingleInstance(app, () => showWindow())) {
    app.quit();
    return;
  }
  const files = resolveAppFiles(__dirname);
  const urls = createAppUrls(files.rendererIndex);
  const shellOptions = parseShellArgs(process.argv);
  const workerData: HostWorkerData = { dataDir: shellOptions.dataDir ?? defaultDataDir(), configFile: shellOptions.configFile };

  // Started before `ready` so the host boots while Chromium does.
  const relay = new HostRelay(new Worker(files.hostWorker, { workerData, name: 'netops-host' }));
  const bridge = new IpcBridge(ipcMain, relay, urls.isAppPage);
  const notifier = createNotifier(
    { isSupported: () => Notification.isSupported(), create: (options) => new Notification(options) },
    files.windowIcon,
  );
  let window: BrowserWindow | undefined;

  relay.onDidReceiveFrame(({ conn, frame }) => bridge.deliver(conn, frame));
  relay.onDidCloseConnection((conn) => bridge.forget(conn));
  relay.onDidFail((message) => {
    console.error(`[netops] ${message}`);
    void app.whenReady().then(() => notifier.hostFailed(message));
  });
  bridge.onDidDropFrame(({ reason, senderId, url }) => {
    if (bridge.stats.droppedFrames <= MAX_LOGGED_DROPS) {
      console.warn(`[netops] dropped an IPC frame (${reason}) from webContents ${senderId} at ${url ?? 'no frame'}`);
    }
  });

  installGracefulQuit(
    app,
    async () => {
      bridge.dispose();
      if ((await relay.stop()) === 'timed-out') console.warn('[netops] the host did not stop in time; its worker was terminated');
    },
    (error) => console.error('[netops] stopping the host failed', error),
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => showWindow());
  // Windows keeps a dead tray icon around until the mouse passes over it unless it is removed explicitly.
  app.on('will-quit', () => tray?.destroy());

  void app.whenReady().then(() => {
    installContentSecurityPolicy(session.defaultSession.webRequest, urls.isAppResource);
    denyAllPermissions(session.defaultSession);
    Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenuTemplate({ isPackaged: app.isPackaged, platform: process.platform })));
    tray = createAppTray(
      {
        createTray: ({ path, template }) => {
          const image = nativeImage.createFromPath(path);
          image.setTemplateImage(template);
          return new Tray(image);
        },
        buildMenu: (template) => Menu.buildFromTemplate(template),
      },
      trayIconFor(process.platform, files),
      { show: () => showWindow(), quit: () => app.quit() },
    );
    showWindow();
  });

  function showWindow(): void {
    if (!app.isReady()) return;
    if (window && !window.isDestroyed()) {
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      return;
    }
    const created = createMainWindow(
      {
        createWindow: (options) => new BrowserWindow(options),
        openExternal: (url) => void shell.openExternal(url),
        onLoadFailed: (error) => console.error(`[netops] could not load ${files.rendererIndex}`, error),
      },
      { files, urls, isPackaged: app.isPackaged },
    );
    bridge.attach(created.webContents);
    created.on('closed', () => {
      if (window === created) window = undefined;
    });
    window = created;
  }
}
