import type { MenuItemConstructorOptions } from 'electron';
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { claimSingleInstance, installGracefulQuit } from '../../electron/main/app-lifecycle.ts';
import { applicationMenuTemplate } from '../../electron/main/menu.ts';
import { createNotifier } from '../../electron/main/notifications.ts';
import { parseShellArgs } from '../../electron/main/shell-args.ts';
import { createAppTray, trayIconFor } from '../../electron/main/tray.ts';

class FakeApp extends EventEmitter {
  quits = 0;
  exitedAfterQuit = 0;
  constructor(private readonly lock = true) {
    super();
  }
  requestSingleInstanceLock(): boolean {
    return this.lock;
  }
  /** Electron's quit: before-quit first, and the app ends unless a listener prevented it. */
  quit(): void {
    this.quits++;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.exitedAfterQuit++;
  }
}

function roles(items: MenuItemConstructorOptions[]): unknown[] {
  return items.map((item) => item.role ?? { label: item.label, submenu: (item.submenu as MenuItemConstructorOptions[]).map((i) => i.role ?? i.type) });
}

describe('single instance', () => {
  it('hands a second launch to the first instance', () => {
    const app = new FakeApp(true);
    const onSecond = vi.fn();
    expect(claimSingleInstance(app, onSecond)).toBe(true);
    app.emit('second-instance');
    expect(onSecond).toHaveBeenCalledOnce();
  });

  it('tells the second instance to quit', () => {
    const app = new FakeApp(false);
    expect(claimSingleInstance(app, vi.fn())).toBe(false);
    expect(app.listenerCount('second-instance')).toBe(0);
  });
});

describe('graceful quit', () => {
  it('holds the quit until the host has stopped, once, however often quit is asked', async () => {
    const app = new FakeApp();
    let finishStop!: () => void;
    const stopHost = vi.fn(() => new Promise<void>((resolve) => (finishStop = resolve)));
    installGracefulQuit(app, stopHost, vi.fn());
    app.quit();
    app.quit();
    expect(stopHost).toHaveBeenCalledOnce();
    expect(app.exitedAfterQuit).toBe(0);
    finishStop();
    await vi.waitFor(() => expect(app.exitedAfterQuit).toBe(1));
    expect(stopHost).toHaveBeenCalledOnce();
  });

  it('still quits when stopping the host fails, and reports it', async () => {
    const app = new FakeApp();
    const onFailed = vi.fn();
    installGracefulQuit(app, () => Promise.reject(new Error('stuck')), onFailed);
    app.quit();
    await vi.waitFor(() => expect(app.exitedAfterQuit).toBe(1));
    expect(onFailed).toHaveBeenCalledWith(new Error('stuck'));
  });
});

describe('application menu', () => {
  it('has Reload and Toggle DevTools only when not packaged', () => {
    const dev = applicationMenuTemplate({ isPackaged: false, platform: 'linux' });
    const packaged = applicationMenuTemplate({ isPackaged: true, platform: 'linux' });
    expect(roles(dev)).toEqual([
      'fileMenu',
      'editMenu',
      { label: 'View', submenu: ['reload', 'forceReload', 'toggleDevTools', 'separator', 'resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen'] },
      'windowMenu',
    ]);
    expect(JSON.stringify(packaged)).not.toMatch(/reload|DevTools/i);
  });

  it('starts with the app menu on macOS', () => {
    expect(applicationMenuTemplate({ isPackaged: true, platform: 'darwin' })[0]?.role).toBe('appMenu');
  });
});

describe('tray', () => {
  it('offers Show and Quit, and shows the window on click', () => {
    const actions = { show: vi.fn(), quit: vi.fn() };
    const tray = Object.assign(new EventEmitter(), { setToolTip: vi.fn(), setContextMenu: vi.fn() });
    let template: MenuItemConstructorOptions[] = [];
    const created = createAppTray(
      { createTray: () => tray, buildMenu: (t) => ((template = t), 'menu') },
      { path: '/assets/tray.png', template: true },
      actions,
    );
    expect(created).toBe(tray);
    expect(tray.setContextMenu).toHaveBeenCalledWith('menu');
    expect(template.filter((i) => i.label).map((i) => i.label)).toEqual(['Show NetOps Console', 'Quit']);
    const click = (label: string) => (template.find((i) => i.label === label)?.click as () => void)();
    click('Show NetOps Console');
    click('Quit');
    tray.emit('click');
    expect(actions.show).toHaveBeenCalledTimes(2);
    expect(actions.quit).toHaveBeenCalledOnce();
  });

  it('uses the monochrome template image on macOS and the colour logo elsewhere', () => {
    const files = { trayIcon: '/a/icons/32x32.png', trayTemplateIcon: '/a/tray.png' };
    expect(trayIconFor('darwin', files)).toEqual({ path: '/a/tray.png', template: true });
    expect(trayIconFor('linux', files)).toEqual({ path: '/a/icons/32x32.png', template: false });
    expect(trayIconFor('win32', files)).toEqual({ path: '/a/icons/32x32.png', template: false });
  });
});

describe('notifications', () => {
  it('shows a native notification when the host fails, where supported', () => {
    const show = vi.fn();
    const create = vi.fn(() => ({ show }));
    createNotifier({ isSupported: () => true, create }, '/a/icon.png').hostFailed('host failed to start: EADDRINUSE');
    expect(create).toHaveBeenCalledWith({ title: 'NetOps Console: host failed', body: 'host failed to start: EADDRINUSE', icon: '/a/icon.png' });
    expect(show).toHaveBeenCalledOnce();

    const unsupported = vi.fn();
    createNotifier({ isSupported: () => false, create: unsupported }, '/a/icon.png').hostFailed('x');
    expect(unsupported).not.toHaveBeenCalled();
  });
});

describe('shell arguments', () => {
  it('reads --data-dir and --config in both forms, resolved against the working directory', () => {
    expect(parseShellArgs(['/usr/bin/electron', 'dist/electron/main.cjs', '--data-dir', 'data', '--config=cfg/netops.yaml'], '/home/op')).toEqual({
      dataDir: '/home/op/data',
      configFile: '/home/op/cfg/netops.yaml',
    });
  });

  it('ignores Chromium switches and defaults to no data dir and no config file', () => {
    expect(parseShellArgs(['/opt/NetOps Console/netops-console', '--no-sandbox', '--enable-logging'], '/')).toEqual({ dataDir: undefined, configFile: null });
  });
});
