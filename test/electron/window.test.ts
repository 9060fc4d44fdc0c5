import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserWindowConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { createAppUrls, resolveAppFiles } from '../../electron/main/app-files.ts';
import { CONTENT_SECURITY_POLICY, installContentSecurityPolicy, type HeadersReceivedHook } from '../../electron/main/content-security-policy.ts';
import { createMainWindow, denyAllPermissions, isSafeExternalUrl, mainWindowOptions } from '../../electron/main/window.ts';
import { FakeWebContents } from './fakes.ts';

const mainDir = '/opt/netops/resources/app/dist/electron';
const files = resolveAppFiles(mainDir);
const urls = createAppUrls(files.rendererIndex, 'linux');
const appUrl = urls.indexUrl;

class FakeWindow {
  readonly webContents = new FakeWebContents(1, appUrl);
  readonly loaded: string[] = [];
  shown = 0;
  private readyToShow: (() => void) | undefined;

  constructor(readonly options: BrowserWindowConstructorOptions) {}

  loadFile(path: string): Promise<void> {
    this.loaded.push(path);
    return path.endsWith('missing.html') ? Promise.reject(new Error('ERR_FILE_NOT_FOUND')) : Promise.resolve();
  }

  once(event: 'ready-to-show', listener: () => void): this {
    if (event === 'ready-to-show') this.readyToShow = listener;
    return this;
  }

  show(): void {
    this.shown++;
  }

  paint(): void {
    this.readyToShow?.();
  }
}

function openWindow(overrides: { isPackaged?: boolean; rendererIndex?: string } = {}) {
  const openExternal = vi.fn<(url: string) => void>();
  const onLoadFailed = vi.fn<(error: unknown) => void>();
  const window = createMainWindow(
    { createWindow: (options) => new FakeWindow(options), openExternal, onLoadFailed },
    { files: { ...files, rendererIndex: overrides.rendererIndex ?? files.rendererIndex }, urls, isPackaged: overrides.isPackaged ?? true },
  );
  return { window, openExternal, onLoadFailed };
}

describe('window options', () => {
  it('isolates and sandboxes the renderer, with no Node and full web security', () => {
    const prefs = mainWindowOptions(files, { isPackaged: true }).webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: join(mainDir, 'preload.cjs'),
    });
  });

  it('offers DevTools only when not packaged', () => {
    expect(mainWindowOptions(files, { isPackaged: true }).webPreferences?.devTools).toBe(false);
    expect(mainWindowOptions(files, { isPackaged: false }).webPreferences?.devTools).toBe(true);
  });

  it('loads the renderer index and shows the window once it has painted', () => {
    const { window } = openWindow();
    expect(window.options.show).toBe(false);
    expect(window.loaded).toEqual(['/opt/netops/resources/app/dist/renderer/index.html']);
    expect(window.shown).toBe(0);
    window.paint();
    expect(window.shown).toBe(1);
  });

  it('reports a page that cannot be loaded', async () => {
    const { onLoadFailed } = openWindow({ rendererIndex: '/nowhere/missing.html' });
    await vi.waitFor(() => expect(onLoadFailed).toHaveBeenCalledOnce());
  });
});

describe('navigation guards', () => {
  it('refuses navigation to anything but the app page', () => {
    const { window, openExternal } = openWindow();
    const contents = window.webContents;
    expect(contents.attempt('will-navigate', appUrl)).toBe(false);
    expect(contents.attempt('will-navigate', `${appUrl}#/firewall`)).toBe(false);
    for (const url of [pathToFileURL('/etc/passwd').href, 'file:///opt/netops/resources/app/dist/renderer/other.html', 'javascript:alert(1)', 'data:text/html,hi']) {
      expect(contents.attempt('will-navigate', url), url).toBe(true);
    }
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('sends a followed web link to the default browser instead of navigating', () => {
    const { window, openExternal } = openWindow();
    expect(window.webContents.attempt('will-navigate', 'https://doc.traefik.io/traefik/')).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://doc.traefik.io/traefik/');
  });

  it('denies every window.open, opening only safe web links outside', () => {
    const { window, openExternal } = openWindow();
    const handler = window.webContents.windowOpenHandler;
    expect(handler).toBeDefined();
    for (const url of ['https://example.com/', 'http://example.com/x', appUrl, 'file:///etc/passwd', 'smb://share/x', 'https://user:pw@example.com/']) {
      expect(handler?.({ url })).toEqual({ action: 'deny' });
    }
    expect(openExternal.mock.calls).toEqual([['https://example.com/'], ['http://example.com/x']]);
  });

  it('prevents every <webview> from attaching', () => {
    const { window } = openWindow();
    expect(window.webContents.attempt('will-attach-webview')).toBe(true);
  });

  it('accepts only plain http(s) links as external', () => {
    expect(isSafeExternalUrl('https://example.com/a?b#c')).toBe(true);
    expect(isSafeExternalUrl('http://10.0.0.1:8080/')).toBe(true);
    expect(isSafeExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isSafeExternalUrl('javascript:alert(1)')).toBe(false);
    expect(isSafeExternalUrl('ms-settings:privacy')).toBe(false);
    expect(isSafeExternalUrl('https://u:p@example.com/')).toBe(false);
    expect(isSafeExternalUrl('not a url')).toBe(false);
  });
});

describe('permissions', () => {
  it('denies every permission request and check', () => {
    const session = { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() };
    denyAllPermissions(session);
    const requestHandler = session.setPermissionRequestHandler.mock.calls[0]?.[0] as (wc: unknown, permission: string, callback: (granted: boolean) => void) => void;
    const checkHandler = session.setPermissionCheckHandler.mock.calls[0]?.[0] as (wc: unknown, permission: string) => boolean;
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
      const callback = vi.fn();
      requestHandler(null, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(checkHandler(null, permission)).toBe(false);
    }
  });
});

describe('content security policy', () => {
  type Listener = Parameters<HeadersReceivedHook['onHeadersReceived']>[0];

  function hook() {
    let listener: Listener | undefined;
    const webRequest = { onHeadersReceived: (l: Listener) => void (listener = l) } as HeadersReceivedHook;
    installContentSecurityPolicy(webRequest, urls.isAppResource);
    return (url: string, responseHeaders?: Record<string, string[]>) => {
      let response: unknown;
      const details = { url, responseHeaders } as Parameters<NonNullable<Listener>>[0];
      listener?.(details, (r) => (response = r));
      return response as { responseHeaders?: Record<string, string[]> };
    };
  }

  it('sets the policy header on the app page and its files, replacing any other policy', () => {
    const respond = hook();
    expect(respond(appUrl).responseHeaders).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    const script = respond(`${appUrl.replace('index.html', 'assets/index-abc.js')}`, {
      'content-security-policy': ["default-src *"],
      'Content-Type': ['text/javascript'],
    });
    expect(script.responseHeaders).toEqual({ 'Content-Type': ['text/javascript'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it('leaves other responses alone', () => {
    const respond = hook();
    expect(respond('https://example.com/')).toEqual({});
    expect(respond('file:///etc/hosts')).toEqual({});
  });

  it('is strict: nothing from outside, no inline or eval script, no frames or plugins', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)|\*|https?:/);
  });
});

describe('app files', () => {
  it('finds the bundles next to the main script, and the host worker outside the asar archive', () => {
    expect(files.preload).toBe('/opt/netops/resources/app/dist/electron/preload.cjs');
    expect(files.rendererIndex).toBe('/opt/netops/resources/app/dist/renderer/index.html');
    expect(files.hostWorker).toBe('/opt/netops/resources/app/dist/node/host-worker.mjs');
    expect(resolveAppFiles('/opt/netops/resources/app.asar/dist/electron').hostWorker).toBe(
      '/opt/netops/resources/app.asar.unpacked/dist/node/host-worker.mjs',
    );
    expect(resolveAppFiles('/opt/netops/resources/app.asar/dist/electron').preload).toBe('/opt/netops/resources/app.asar/dist/electron/preload.cjs');
  });

  it('matches the app page by path on Windows regardless of drive-letter case', () => {
    const windowsUrls = createAppUrls('/C:/Program Files/NetOps Console/resources/app.asar/dist/renderer/index.html', 'win32');
    expect(windowsUrls.isAppPage('file:///c:/Program%20Files/NetOps%20Console/resources/app.asar/dist/renderer/index.html')).toBe(true);
    expect(windowsUrls.isAppPage('file:///d:/Program%20Files/NetOps%20Console/resources/app.asar/dist/renderer/index.html')).toBe(false);
  });

  it('treats files under the renderer folder as app resources, and nothing that escapes it', () => {
    expect(urls.isAppResource(appUrl.replace('index.html', 'assets/app.css'))).toBe(true);
    expect(urls.isAppResource(appUrl.replace('index.html', '../electron/main.cjs'))).toBe(false);
    expect(urls.isAppResource(appUrl.replace('index.html', '%2e%2e/electron/main.cjs'))).toBe(false);
    expect(urls.isAppResource('file:///opt/netops/resources/app/dist/renderer-evil/x.js')).toBe(false);
  });
});
