import { copyFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTcp } from '../helpers/console.ts';
import { launchBrowser, saveFailureReport, screenshot, ServeProcess, watchPage } from './harness.ts';

let serve: ServeProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  serve = await ServeProcess.start();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  problems = watchPage(page);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await saveFailureReport(ctx.task.name, serve, context, problems);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await browser?.close();
  const code = await serve?.stop();
  expect(code).toBe(0);
});

async function openSockets(count: number): Promise<Socket[]> {
  const opened: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await openTcp(serve.echoPort);
    socket.on('error', () => undefined);
    // Read the echo, so that the peer's FIN is seen and 'close' fires.
    socket.resume();
    socket.write(`hello ${i}\n`);
    opened.push(socket);
  }
  sockets.push(...opened);
  return opened;
}

const count = () => page.getByTestId('connections-count').textContent();

async function setTheme(theme: 'light' | 'dark'): Promise<void> {
  if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.getByTestId('theme-toggle').click();
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('the console in headless Chromium against netops serve', () => {
  it('refuses a visit without the token', async () => {
    const stranger = await browser.newContext();
    const response = await (await stranger.newPage()).goto(serve.origin);
    expect(response?.status()).toBe(401);
    expect(await response?.text()).toContain('needs its token');
    await stranger.close();
    expect(await httpStatus(`${serve.origin}/healthz`)).toBe(200);
  });

  it('opens with its token, drops it from the address bar, and connects', async () => {
    await page.goto(serve.url);
    expect(page.url()).not.toContain('token=');
    await expect.poll(() => page.getByTestId('status-badge').getAttribute('data-status'), { timeout: 15_000 }).toBe('connected');
    await expect.poll(() => page.getByTestId('listeners-table').textContent()).toContain('echo');
  });

  it('shows rows as connections open, live', async () => {
    await page.getByTestId('nav-connections').click();
    // The console's own sockets are rows too: this page's WebSocket is there before any echo client.
    await expect.poll(() => page.getByTestId('connections-table').textContent()).toContain('console');
    await page.getByTestId('connections-search').fill('owner:echo');
    await expect.poll(count).toBe('0');
    await openSockets(3);
    await expect.poll(count).toBe('3');
    await openSockets(2);
    await expect.poll(count).toBe('5');
    await expect.poll(() => page.getByTestId('connection-row').count()).toBe(5);
    // bytes echoed back show up in the row
    await expect.poll(() => page.getByTestId('connections-table').textContent()).toContain('echo');
  });

  it('filters with the search box, reached by the / key', async () => {
    const [first] = sockets;
    await page.getByTestId('connections-search').blur();
    await page.locator('body').press('/');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('connections-search');
    await page.keyboard.press('End');
    await page.keyboard.type(` :${first!.localPort}`);
    await expect.poll(() => page.getByTestId('connections-search').inputValue()).toBe(`owner:echo :${first!.localPort}`);
    await expect.poll(count).toBe('1');
    await page.getByTestId('connections-search').fill('owner:echo');
    await expect.poll(count).toBe('5');
  });

  it('closes a connection by clicking, and the peer socket really closes', async () => {
    const victim = sockets[1]!;
    const peerClosed = new Promise<void>((resolve) => victim.once('close', () => resolve()));
    const row = page.getByTestId('connection-row').filter({ hasText: `:${victim.localPort}` });
    await row.click();
    await expect.poll(() => page.getByTestId('connection-detail').isVisible()).toBe(true);
    await page.getByTestId('close-connection').click();
    await page.getByTestId('confirm-close').click();
    await peerClosed;
    await expect.poll(count).toBe('4');
    await expect.poll(() => row.count()).toBe(0);
  });

  it('groups the digits of the shown count as it does the total', async () => {
    const many = await openSockets(1000);
    try {
      await expect.poll(count, { timeout: 15_000 }).toBe('1,004');
    } finally {
      for (const socket of many) socket.destroy();
      sockets.splice(sockets.length - many.length, many.length);
    }
    await expect.poll(count, { timeout: 15_000 }).toBe('4');
  });

  it('shows ages of minutes and hours whole, not cut short', async () => {
    // A context of its own, on a clock that can jump ahead: Playwright's clock is the whole context's, and the
    // shared page keeps real time for the screenshots and the reconnect test.
    const agedContext = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    const aged = await agedContext.newPage();
    try {
      await aged.clock.install();
      await aged.goto(serve.url);
      await aged.getByTestId('nav-connections').click();
      await aged.getByTestId('connections-search').fill('owner:echo');
      await expect.poll(() => aged.getByTestId('connections-count').textContent()).toBe('4');
      const cutShort = () =>
        aged.locator('[data-testid="connection-row"] .vt-text').evaluateAll((cells) => cells.filter((cell) => cell.scrollWidth > cell.clientWidth).map((cell) => cell.textContent));
      for (const jump of ['59:00', '02:00:00']) {
        await aged.clock.fastForward(jump);
        await expect.poll(() => aged.getByTestId('connection-row').first().textContent()).toMatch(jump === '59:00' ? /59m \d\ds/ : /2h \d\dm/);
        expect(await cutShort()).toEqual([]);
      }
    } finally {
      await agedContext.close();
    }
  });

  it('names the sidebar\'s links when a narrow window shows their icons alone', async () => {
    await page.setViewportSize({ width: 900, height: 700 });
    try {
      await expect.poll(() => page.locator('.nav-label').first().isVisible()).toBe(false);
      const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections', exact: true });
      expect(await link.count()).toBe(1);
      expect(await link.getAttribute('title')).toBe('Connections');
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('moves between screens with the keyboard', async () => {
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('g');
    await page.keyboard.press('o');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/overview');
    await page.keyboard.press('g');
    await page.keyboard.press('c');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/connections');
  });

  it('saves screenshots of every screen in light and dark', async () => {
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(theme);
      await page.getByTestId('nav-overview').click();
      // let the charts gather a few points
      await page.waitForTimeout(2500);
      await screenshot(page, `overview-${theme}`);
      await page.getByTestId('nav-connections').click();
      await expect.poll(count).toBe('4');
      await page.getByTestId('connection-row').first().click();
      // On real time: the sockets opened seconds or minutes ago, not hours (a jumped clock must not leak into this page).
      expect(await page.getByTestId('connection-row').first().textContent()).not.toMatch(/\dh \d+m/);
      await screenshot(page, `connections-${theme}`);
      await page.keyboard.press('Escape');
    }
    if (process.env.NETOPS_UPDATE_README_SCREENSHOT === '1') {
      await mkdir('assets/screenshots', { recursive: true });
      for (const name of ['connections-dark', 'overview-light']) {
        await copyFile(join('test-artifacts', 'screenshots', `${name}.png`), join('assets', 'screenshots', `${name}.png`));
      }
    }
  });

  it('had no page errors and no CSP violations along the way', () => {
    expect(problems).toEqual([]);
  });

  it('shows reconnecting while the server is away and comes back live on its own', async () => {
    await page.getByTestId('nav-connections').click();
    expect(await serve.stop(true)).toBe(0);
    await expect.poll(() => page.getByTestId('status-badge').getAttribute('data-status')).toBe('reconnecting');
    await screenshot(page, 'reconnecting-dark');
    serve = await ServeProcess.start({ dataDir: serve.dataDir, uiPort: serve.uiPort, echoPort: serve.echoPort });
    await expect.poll(() => page.getByTestId('status-badge').getAttribute('data-status'), { timeout: 20_000 }).toBe('connected');
    // the old sockets died with the old server; new ones appear in the re-subscribed stream
    await openSockets(2);
    await expect.poll(count).toBe('2');
    // While the server was down the browser logs each refused reconnect attempt (the socket, and the
    // page's /session probe that tells an expired session from a restart); nothing else may appear.
    const expectedWhileDown = /WebSocket connection to '.*\/rpc' failed|ERR_CONNECTION_REFUSED @ .*\/session$/;
    expect(problems.filter((p) => !expectedWhileDown.test(p))).toEqual([]);
  });
});
