import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppUrls } from '../../electron/main/app-files.ts';
import { IpcBridge, type DroppedFrame } from '../../electron/main/ipc-bridge.ts';
import { RPC_FRAME_CHANNEL } from '../../electron/preload/netops-pipe.ts';
import { FakeIpcMain, FakeWebContents, RecordingHost } from './fakes.ts';

const rendererIndex = '/opt/netops/resources/app/dist/renderer/index.html';
const appUrl = pathToFileURL(rendererIndex).href;
const urls = createAppUrls(rendererIndex, 'linux');

let bridge: IpcBridge | undefined;
afterEach(() => bridge?.dispose());

function setup() {
  const ipcMain = new FakeIpcMain();
  const host = new RecordingHost();
  bridge = new IpcBridge(ipcMain, host, urls.isAppPage);
  const drops: DroppedFrame[] = [];
  bridge.onDidDropFrame((drop) => drops.push(drop));
  const frameFrom = (contents: FakeWebContents, frame: unknown, senderFrame = contents.mainFrame) =>
    ipcMain.emitFrom(RPC_FRAME_CHANNEL, contents, senderFrame, frame);
  return { ipcMain, host, bridge, drops, frameFrom };
}

describe('ipc bridge: sender checks', () => {
  it('relays frames from the main frame of a window the app created', () => {
    const { host, bridge, frameFrom } = setup();
    const window = new FakeWebContents(7, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    expect(host.calls).toEqual([
      { op: 'open', conn: 1 },
      { op: 'send', conn: 1, frame: { t: 'hello', protocol: 1 } },
    ]);
  });

  it('drops and counts frames from a webContents the app did not create; they never reach the host', () => {
    const { host, bridge, drops, frameFrom } = setup();
    bridge.attach(new FakeWebContents(1, appUrl));
    const stranger = new FakeWebContents(2, appUrl);
    frameFrom(stranger, { t: 'hello', protocol: 1 });
    frameFrom(stranger, { t: 'req', id: 1, method: 'system.info', params: {} });
    expect(host.calls).toEqual([]);
    expect(bridge.stats.droppedFrames).toBe(2);
    expect(drops.map((d) => [d.reason, d.senderId])).toEqual([
      ['unknown-sender', 2],
      ['unknown-sender', 2],
    ]);
  });

  it('drops frames from a subframe, even one showing the app page', () => {
    const { host, bridge, drops, frameFrom } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 }, window.subframe(appUrl));
    expect(host.calls).toEqual([]);
    expect(drops.map((d) => d.reason)).toEqual(['subframe']);
  });

  it.each([
    ['a web page', 'https://evil.example/index.html'],
    ['another local file', pathToFileURL('/tmp/evil.html').href],
    ['a file beside the app page', pathToFileURL('/opt/netops/resources/app/dist/renderer/other.html').href],
    ['a file URL with a host', 'file://attacker/opt/netops/resources/app/dist/renderer/index.html'],
    ['about:blank', 'about:blank'],
    ['devtools', 'devtools://devtools/bundled/inspector.html'],
  ])('drops frames from a main frame showing %s', (_name, url) => {
    const { host, bridge, drops, frameFrom } = setup();
    const window = new FakeWebContents(1, url);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    expect(host.calls).toEqual([]);
    expect(drops).toEqual([{ reason: 'foreign-url', senderId: 1, url }]);
  });

  it('accepts the app page with a hash route or query', () => {
    const { host, bridge, frameFrom } = setup();
    const window = new FakeWebContents(1, `${appUrl}?x=1#/connections`);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    expect(host.frames).toHaveLength(1);
  });

  it('drops frames whose sending frame is already gone', () => {
    const { ipcMain, host, bridge, drops } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    ipcMain.emitFrom(RPC_FRAME_CHANNEL, window, null, { t: 'hello', protocol: 1 });
    expect(host.calls).toEqual([]);
    expect(drops.map((d) => d.reason)).toEqual(['frame-gone']);
  });

  it('stops listening and refuses everything once disposed', () => {
    const { ipcMain, host, bridge, frameFrom } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    bridge.dispose();
    expect(ipcMain.listenerCount(RPC_FRAME_CHANNEL)).toBe(0);
    expect(host.calls.at(-1)).toEqual({ op: 'close', conn: 1 });
  });
});

describe('ipc bridge: one connection per window page', () => {
  it('gives each window its own connection and routes host frames to the right window only', () => {
    const { host, bridge, frameFrom } = setup();
    const first = new FakeWebContents(1, appUrl);
    const second = new FakeWebContents(2, appUrl);
    bridge.attach(first);
    bridge.attach(second);
    frameFrom(first, { n: 'first' });
    frameFrom(second, { n: 'second' });
    frameFrom(first, { n: 'first again' });
    expect(host.frames).toEqual([
      { conn: 1, frame: { n: 'first' } },
      { conn: 2, frame: { n: 'second' } },
      { conn: 1, frame: { n: 'first again' } },
    ]);

    bridge.deliver(2, { t: 'welcome' });
    bridge.deliver(1, { t: 'res', id: 1 });
    bridge.deliver(99, { t: 'stray' });
    expect(first.sent).toEqual([{ channel: RPC_FRAME_CHANNEL, frame: { t: 'res', id: 1 } }]);
    expect(second.sent).toEqual([{ channel: RPC_FRAME_CHANNEL, frame: { t: 'welcome' } }]);
  });

  it('closes the connection when its window closes, and forgets the window', () => {
    const { host, bridge, frameFrom, drops } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    window.destroy();
    expect(host.calls.at(-1)).toEqual({ op: 'close', conn: 1 });
    expect(bridge.stats).toMatchObject({ windows: 0, connections: 0 });
    bridge.deliver(1, { t: 'late' });
    expect(window.sent).toEqual([]);
    // Its id is no longer trusted: a later frame from it is an unknown sender.
    frameFrom(window, { t: 'hello', protocol: 1 });
    expect(drops.map((d) => d.reason)).toEqual(['unknown-sender']);
  });

  it('starts a fresh connection when the page reloads, but not on in-page navigation', () => {
    const { host, bridge, frameFrom } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    window.startNavigation({ isSameDocument: true });
    window.startNavigation({ isMainFrame: false });
    frameFrom(window, { t: 'req' });
    window.startNavigation();
    bridge.deliver(1, { t: 'ev', id: 1 });
    frameFrom(window, { t: 'hello', protocol: 1 });
    expect(host.calls).toEqual([
      { op: 'open', conn: 1 },
      { op: 'send', conn: 1, frame: { t: 'hello', protocol: 1 } },
      { op: 'send', conn: 1, frame: { t: 'req' } },
      { op: 'close', conn: 1 },
      { op: 'open', conn: 2 },
      { op: 'send', conn: 2, frame: { t: 'hello', protocol: 1 } },
    ]);
    expect(window.sent).toEqual([]);
  });

  it('closes the connection when the renderer process dies', () => {
    const { host, bridge, frameFrom } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    window.emit('render-process-gone');
    expect(host.calls.at(-1)).toEqual({ op: 'close', conn: 1 });
  });

  it('opens a new connection after the host ended one on its side', () => {
    const { host, bridge, frameFrom } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 99 });
    bridge.forget(1);
    frameFrom(window, { t: 'hello', protocol: 1 });
    expect(host.calls.map((c) => `${c.op}:${c.conn}`)).toEqual(['open:1', 'send:1', 'open:2', 'send:2']);
  });

  it('does not deliver to a destroyed webContents', () => {
    const { bridge, frameFrom } = setup();
    const window = new FakeWebContents(1, appUrl);
    bridge.attach(window);
    frameFrom(window, { t: 'hello', protocol: 1 });
    Object.defineProperty(window, 'isDestroyed', { value: () => true });
    bridge.deliver(1, { t: 'welcome' });
    expect(window.sent).toEqual([]);
  });
});
