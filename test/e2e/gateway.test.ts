import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { eventually, freePort, launchBrowser, saveFailureReport, screenshot, ServeProcess, watchPage } from './harness.ts';

let serve: ServeProcess;
let backend: Backend;
let gatewayPort: number;
let closedPort: number;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  backend = await startBackend('hello');
  serve = await ServeProcess.start();
  gatewayPort = await freePort();
  closedPort = await freePort();
  // The serve config is the gateway's file too, and it is watched: the section applies as it lands.
  // backend's weight is not the default, and spare's only instance is a closed port its health check finds down.
  await appendFile(
    join(serve.dataDir, 'config.yaml'),
    gatewayYaml(
      `entryPoints:\n  - name: web\n    port: ${gatewayPort}\nservices:\n  - name: backend\n    instances:\n      - url: ${backend.url}\n        weight: 3` +
        `\n  - name: spare\n    healthCheck: { intervalMs: 200, unhealthyThreshold: 1 }\n    instances:\n      - url: http://127.0.0.1:${closedPort}`,
    ),
  );
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  problems = watchPage(page);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await saveFailureReport(ctx.task.name, serve, context, problems);
});

afterAll(async () => {
  await browser?.close();
  const code = await serve?.stop();
  await backend?.close();
  expect(code).toBe(0);
});

async function setTheme(theme: 'light' | 'dark'): Promise<void> {
  if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.getByTestId('theme-toggle').click();
  await eventually(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
}

async function openTab(tab: string): Promise<void> {
  await page.getByTestId(`gw-tab-${tab}`).click();
  await eventually(() => page.getByTestId(`gw-panel-${tab}`).isVisible()).toBe(true);
}

async function shoot(name: string): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(theme);
    await screenshot(page, `gateway-${name}-${theme}`);
  }
  await setTheme('light');
}

const toastText = () => page.getByTestId('toast').allTextContents();

/** Writes `body` as the config file's gateway section in place of the one there (the file is watched); returns the file and its text. */
async function replaceGatewaySection(body: string): Promise<{ file: string; text: string }> {
  const file = join(serve.dataDir, 'config.yaml');
  const text = (await readFile(file, 'utf8')).split('gateway:')[0]! + gatewayYaml(body);
  await writeFile(file, text);
  return { file, text };
}
const routerRow = (name: string) => page.locator(`[data-testid="router-row"][data-name="${name}"]`);

/** A chart's highest y-axis tick, in its unit (%, ms; seconds as ms). */
async function topTick(chart: string): Promise<number> {
  const ticks = await page.getByTestId(chart).locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
  const [, value, unit] = /^([\d.,]+) ?(%|ms|s)?$/.exec(ticks.at(-1) ?? '') ?? [];
  return Number((value ?? 'NaN').replace(/,/g, '')) * (unit === 's' ? 1000 : 1);
}

/** How high a chart's lines reach, as a share of its y-axis from the 0 tick to the top one. */
function peakShare(chart: string): Promise<number> {
  return page.getByTestId(chart).evaluate((element) => {
    const ticks = [...element.querySelectorAll('.recharts-yAxis-tick-labels text')].map((tick) => Number(tick.getAttribute('y')));
    const zero = Math.max(...ticks);
    const top = Math.min(...ticks);
    const ys = [...element.querySelectorAll('.recharts-line-curve')].flatMap((path) => (path.getAttribute('d')?.match(/-?[\d.]+/g) ?? []).map(Number).filter((_, i) => i % 2 === 1));
    return (zero - Math.min(...ys)) / (zero - top);
  });
}

describe('the Gateway screen against netops serve', () => {
  it('opens with g g and shows the entry point from the config file', async () => {
    await page.goto(serve.url);
    await eventually(() => page.getByTestId('status-badge').getAttribute('data-status')).toBe('connected');
    await page.keyboard.press('g');
    await page.keyboard.press('g');
    await eventually(() => page.evaluate(() => location.hash)).toBe('#/gateway');
    await eventually(() => page.getByTestId('gw-entrypoints').textContent()).toContain(`127.0.0.1:${gatewayPort}`);
    await eventually(() => page.getByTestId('gw-entrypoints').textContent()).toContain('listening');
    await eventually(() => page.getByTestId('routers-table').textContent()).toContain('No routers yet');
    // The summary's detail lines fit their cards at this width (none cut short), and the full meaning is the card's tooltip.
    const cutShort = await page.locator('.gw-figures .stat-detail').evaluateAll((lines) => lines.filter((line) => line.scrollWidth > line.clientWidth).map((line) => line.textContent));
    expect(cutShort).toEqual([]);
    expect(await page.getByTestId('gw-errors').getAttribute('title')).toMatch(/5xx status or ended without an answer/);
    // Where the data plane runs: the worker count's tooltip names each worker's thread and CPUs (Linux).
    expect(await page.getByTestId('gw-workers').textContent()).toBe('1 worker');
    expect(await page.getByTestId('gw-workers').getAttribute('title')).toMatch(/^worker 0: thread \d+, CPUs [\d,-]+, [\d,]+ connections? accepted\ncontrol plane: CPUs [\d,-]+$/);
  });

  it('keeps the tab bar and the header counts whole in a short, narrow window', async () => {
    await page.setViewportSize({ width: 1100, height: 420 });
    try {
      // The tab bar scrolls sideways; in a column flexbox that let it be squeezed to nothing.
      await eventually(async () => (await page.getByRole('tablist', { name: 'Gateway sections' }).boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(30);
      await screenshot(page, 'gateway-short-window-light');
      // "version 3", "1 worker": one line each, however long the title beside them.
      const lineHeight = await page.getByTestId('gw-version').evaluate((element) => parseFloat(getComputedStyle(element).lineHeight) || 20);
      for (const id of ['gw-version', 'gw-workers']) expect((await page.getByTestId(id).boundingBox())!.height).toBeLessThan(lineHeight * 1.5);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('adds a router in the editor, with errors shown as the operator types', async () => {
    await page.getByTestId('router-add').click();
    await eventually(() => page.getByTestId('router-dialog').isVisible()).toBe(true);
    await page.getByTestId('router-name').fill('bad name');
    await eventually(() => page.locator('[data-testid="field-error"][data-field="name"]').textContent()).toMatch(/letters, digits/);
    await page.getByTestId('router-name').fill('hello');
    await page.getByTestId('router-path').fill('hello');
    await eventually(() => page.locator('[data-testid="field-error"][data-field="path"]').textContent()).toBe('Must start with "/"');
    expect(await page.getByTestId('router-save').isDisabled()).toBe(true);
    await page.getByTestId('router-path').fill('/hello');
    await page.getByTestId('router-methods').getByText('GET', { exact: true }).click();
    await page.getByTestId('router-service').selectOption('backend');
    await eventually(() => page.locator('[data-testid="field-error"]').count()).toBe(0);
    // The modal owns the page, theme toggle included: one theme here, the other for the API key dialog.
    await screenshot(page, 'gateway-router-editor-light');
    await page.getByTestId('router-save').click();
    await eventually(toastText).toContainEqual(expect.stringContaining('"hello" applies now'));
    await eventually(() => routerRow('hello').getAttribute('data-status')).toBe('enabled');
    await eventually(() => routerRow('hello').textContent()).toContain('backend');
    // The match as edited: the path and the method ticked.
    expect(await routerRow('hello').getByRole('gridcell').nth(3).textContent()).toMatch(/\/hello.*GET$/);
    await shoot('routers');
  });

  it('keeps a router\'s buttons in view in a 900px window', async () => {
    await page.setViewportSize({ width: 900, height: 700 });
    try {
      // Columns drop until the rest fit: the table never scrolls sideways, which hid the buttons past the edge.
      await eventually(() => page.getByTestId('routers-table').evaluate((table) => table.scrollWidth - table.clientWidth)).toBeLessThanOrEqual(0);
      const edit = (await routerRow('hello').getByTestId('router-edit').boundingBox())!;
      expect(edit.x + edit.width).toBeLessThanOrEqual(900);
      await screenshot(page, 'gateway-routers-900-light');
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('sends a request with the route tester and shows who answered', async () => {
    await routerRow('hello').getByRole('button', { name: 'Test hello' }).click();
    await eventually(() => page.getByTestId('tester-path').inputValue()).toBe('/hello');
    await page.getByTestId('tester-path').fill('/hello/world?x=1');
    await page.getByTestId('tester-send').click();
    await eventually(() => page.getByTestId('tester-status').textContent()).toBe('200');
    const route = (await page.getByTestId('tester-route').textContent()) ?? '';
    expect(route).toContain('hello');
    expect(route).toContain('backend');
    expect(route).toContain(backend.url);
    expect(await page.getByTestId('tester-body-text').textContent()).toContain('"backend":"hello"');
    const result = page.getByTestId('tester-result');
    expect(await result.getByRole('row').filter({ hasText: 'x-backend' }).getByRole('cell').textContent()).toBe('hello');
    expect(await result.textContent()).toMatch(/total [\d.]+ m?s.*first byte [\d.]+ m?s/);
    expect(backend.last?.path).toBe('/hello/world?x=1');
    await shoot('tester');
  });

  it('lists the request in the inspector, and freezes the list while paused', async () => {
    await openTab('requests');
    const rows = page.getByTestId('request-row');
    // The inspector shows the path; the query stays out of it.
    await eventually(() => rows.filter({ hasText: '/hello/world' }).count()).toBe(1);
    expect(await rows.first().getAttribute('data-router')).toBe('hello');
    expect(await rows.first().getByRole('gridcell').allTextContents()).toEqual(expect.arrayContaining(['GET', '/hello/world', '200', 'hello', 'backend']));

    const shown = await rows.count();
    await page.getByTestId('requests-pause').click();
    await send(gatewayPort, '/hello/paused', { localAddress: '127.0.0.2' });
    await eventually(() => page.getByTestId('requests-pause').textContent()).toContain('1 new');
    expect(await rows.count()).toBe(shown);
    await page.getByTestId('requests-pause').click();
    await eventually(() => rows.filter({ hasText: '/hello/paused' }).count()).toBe(1);

    // A path no router takes: the gateway's own 404, found with the status filter.
    await send(gatewayPort, '/nowhere', { localAddress: '127.0.0.2' });
    await page.getByTestId('requests-status').selectOption('4xx');
    await eventually(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-status')).toBe('404');
    await page.getByTestId('requests-status').selectOption('all');
    await page.getByTestId('requests-client').fill('127.0.0.2');
    await eventually(() => rows.count()).toBe(2);
    await page.getByTestId('requests-client').fill('');
    // The router filter: hello's requests, then the one no router took.
    await page.getByTestId('requests-router').selectOption('hello');
    await eventually(() => rows.count()).toBe(2);
    expect(await page.getByTestId('requests-table').getByText('/nowhere').count()).toBe(0);
    await page.getByTestId('requests-router').selectOption({ label: 'No router (404)' });
    await eventually(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-path')).toBe('/nowhere');
    await page.getByTestId('requests-router').selectOption('');
    await shoot('inspector');
  });

  it('shows the services with their instances', async () => {
    await openTab('services');
    const instance = page.locator(`[data-testid="instance-row"][data-url="${backend.url}"]`);
    await eventually(() => instance.textContent()).toContain('healthy');
    // One failed answer among the requests so far: the instance's own figures show it, beside its weight and its pool.
    backend.status = 500;
    expect((await send(gatewayPort, '/hello/failing', { localAddress: '127.0.0.4' })).status).toBe(500);
    backend.status = 200;
    const cells = () => instance.getByRole('cell').allTextContents();
    await eventually(async () => (await cells())[4]).toMatch(/^[1-9][\d.]*%$/);
    const [url, weight, health, , , p99, , pool] = await cells();
    expect([url, weight, health]).toEqual([backend.url, '3', 'healthy']);
    expect(p99).toMatch(/^[\d.]+ m?s$/);
    expect(pool).toMatch(/^\d+ · \d+ · \d+ · \d+$/);
    const down = page.locator(`[data-testid="instance-row"][data-url="http://127.0.0.1:${closedPort}"]`);
    await eventually(() => down.locator('[data-health]').getAttribute('data-health')).toBe('unhealthy');
    expect(await down.locator('[data-health]').textContent()).toBe('unhealthy');
    await shoot('services');

    // Drain its one instance from the row: written to the file, the instance takes no new request (the service,
    // with nothing else, answers 503), its health still shows; then back.
    await instance.getByTestId('instance-drain-toggle').click();
    await eventually(() => instance.locator('[data-drain]').textContent()).toBe('drained');
    expect(await instance.getByTestId('instance-drain-toggle').textContent()).toBe('Return');
    expect(await instance.locator('[data-health]').textContent()).toBe('healthy');
    await eventually(async () => (await toastText()).some((text) => text.includes('Instance drained'))).toBe(true);
    expect(await readFile(join(serve.dataDir, 'config.yaml'), 'utf8')).toContain(`        - url: ${backend.url}\n          weight: 3\n          drain: true\n`);
    const drained = await send(gatewayPort, '/hello/drained');
    expect(drained.status).toBe(503);
    expect(drained.body).toContain('no available instance of service backend');
    // Its pool keeps no connection open to it: nothing to reset when the box goes down.
    await eventually(async () => (await cells())[7]).toBe('0 · 0 · 0 · 0');
    await shoot('services-drained');

    // The service editor keeps the drain through an edit of something else, and can take it off.
    const card = page.locator('[data-testid="service-card"][data-name="backend"]');
    expect(await card.locator('.panel-meta').first().textContent()).toBe('0 of 1 instance up · 1 drained');
    await card.getByTestId('service-edit').click();
    const dialog = page.getByTestId('service-dialog');
    await eventually(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByTestId('instance-drain').isChecked()).toBe(true);
    await dialog.getByTestId('instance-weight').fill('4');
    await screenshot(page, 'gateway-service-editor-drained-light');
    await page.getByTestId('service-save').click();
    await eventually(() => instance.getByRole('cell').nth(1).textContent()).toBe('4');
    expect(await instance.locator('[data-drain]').textContent()).toBe('drained');
    const edited = await readFile(join(serve.dataDir, 'config.yaml'), 'utf8');
    expect(edited).toContain(`          weight: 4\n          drain: true\n`);
    // Only what the operator set: none of the defaults the screen shows (timeouts, outlier, retry, pool) land in the file.
    for (const key of ['connectTimeoutMs', 'requestTimeoutMs', 'outlier:', 'retry:', 'pool:', 'idleTimeoutMs']) expect(edited).not.toContain(key);
    await card.getByTestId('service-edit').click();
    await eventually(() => dialog.isVisible()).toBe(true);
    await dialog.getByTestId('instance-drain').uncheck();
    await dialog.getByTestId('instance-weight').fill('3');
    await page.getByTestId('service-save').click();
    await eventually(() => instance.locator('[data-drain]').count()).toBe(0);
    expect(await instance.getByTestId('instance-drain-toggle').textContent()).toBe('Drain');
    expect((await send(gatewayPort, '/hello/returned')).status).toBe(200);

    // And from the row, out and back in.
    await instance.getByTestId('instance-drain-toggle').click();
    await eventually(() => instance.locator('[data-drain]').textContent()).toBe('drained');
    expect((await send(gatewayPort, '/hello/drained-again')).status).toBe(503);
    await instance.getByTestId('instance-drain-toggle').click();
    await eventually(() => instance.locator('[data-drain]').count()).toBe(0);
    expect(await readFile(join(serve.dataDir, 'config.yaml'), 'utf8')).not.toContain('drain:');
    expect((await send(gatewayPort, '/hello/returned-again')).status).toBe(200);

    // Slow start, set in the editor: back from a drain, the instance climbs from a tenth of its weight, and its row says so.
    await card.getByTestId('service-edit').click();
    await eventually(() => dialog.isVisible()).toBe(true);
    await dialog.getByTestId('service-slow-start').fill('60000');
    // And an active check by HEAD with a Host of its own, as a virtual-host backend needs.
    await dialog.getByTestId('service-health-enabled').check();
    await dialog.getByTestId('service-health-method').selectOption('HEAD');
    await dialog.getByTestId('service-health-hostname').fill('status.internal');
    await screenshot(page, 'gateway-service-editor-health-light');
    await page.getByTestId('service-save').click();
    await eventually(async () => (await readFile(join(serve.dataDir, 'config.yaml'), 'utf8')).includes('slowStartMs: 60000')).toBe(true);
    const checked = await readFile(join(serve.dataDir, 'config.yaml'), 'utf8');
    expect(checked).toContain('method: HEAD');
    expect(checked).toContain('hostname: status.internal');
    await eventually(() => (backend.last?.path === '/healthz' ? backend.last : undefined)).toMatchObject({ method: 'HEAD', headers: { host: 'status.internal' } });
    await instance.getByTestId('instance-drain-toggle').click();
    await eventually(() => instance.locator('[data-drain]').textContent()).toBe('drained');
    await instance.getByTestId('instance-drain-toggle').click();
    const warming = instance.locator('[data-warming]');
    await eventually(() => warming.count()).toBe(1);
    expect(Number(await warming.getAttribute('data-warming'))).toBeGreaterThanOrEqual(10);
    expect(Number(await warming.getAttribute('data-warming'))).toBeLessThan(30);
    expect(await warming.textContent()).toMatch(/^warming · \d+%$/);
    expect(await instance.locator('[data-health]').textContent()).toBe('healthy');
    await shoot('services-warming');
    expect((await send(gatewayPort, '/hello/warming')).status).toBe(200);
    // Switched off, the ramp ends at once.
    await card.getByTestId('service-edit').click();
    await eventually(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByTestId('service-slow-start').inputValue()).toBe('60000');
    await dialog.getByTestId('service-slow-start').fill('');
    await dialog.getByTestId('service-health-enabled').uncheck();
    await page.getByTestId('service-save').click();
    await eventually(() => warming.count()).toBe(0);
    expect(await readFile(join(serve.dataDir, 'config.yaml'), 'utf8')).not.toContain('slowStartMs');

    // The instance's kept-alive upstream connections are on the Connections screen too, as outbound rows of its pool.
    await page.getByTestId('nav-connections').click();
    await page.getByTestId('connections-search').fill('owner:pool');
    const pooled = page.getByTestId('connection-row').filter({ hasText: `pool backend ${backend.url}` });
    await eventually(() => pooled.count()).toBeGreaterThanOrEqual(1);
    expect(await pooled.first().getByRole('gridcell').allTextContents()).toEqual(expect.arrayContaining(['http', 'out', `pool backend ${backend.url}`]));
    await page.getByTestId('connections-search').fill('');
    await page.getByTestId('nav-gateway').click();
  });

  it("edits a service's retries, ejection, upstream pool and check headers in folded sections, through the file", async () => {
    await openTab('services');
    const card = page.locator('[data-testid="service-card"][data-name="backend"]');
    const instance = page.locator(`[data-testid="instance-row"][data-url="${backend.url}"]`);
    const dialog = page.getByTestId('service-dialog');
    const section = (id: string) => dialog.getByTestId(`service-section-${id}`);
    const summary = (id: string) => section(id).getByTestId('service-section-summary').textContent();
    const backendInFile = async () => {
      const text = await readFile(join(serve.dataDir, 'config.yaml'), 'utf8');
      return (parseYaml(text) as { gateway: { services: Array<Record<string, unknown>> } }).gateway.services.find((service) => service.name === 'backend')!;
    };
    await card.getByTestId('service-edit').click();
    await eventually(() => dialog.isVisible()).toBe(true);
    // At their defaults the sections are folded and say so.
    for (const id of ['retry', 'outlier', 'pool']) {
      expect(await section(id).getAttribute('open')).toBeNull();
      expect(await summary(id)).toBe('defaults');
    }
    // Opened from the keyboard; the inputs show the defaults as placeholders.
    await section('pool').locator('summary').focus();
    await page.keyboard.press('Enter');
    await eventually(() => section('pool').getAttribute('open')).toBe('');
    expect(await dialog.getByTestId('service-poolMaxSize').getAttribute('placeholder')).toBe('256');
    expect(await page.locator('.dialog-footer-note').textContent()).toBe('Open upstream connections are kept for instances that stay.');
    await dialog.getByTestId('service-poolMinIdle').fill('2');
    // New pool settings mean new pools: the note says what happens to the connections open now.
    expect(await page.locator('.dialog-footer-note').textContent()).toBe('New connection settings: the service opens fresh upstream connections, and the old ones close as their requests finish.');
    await dialog.getByTestId('service-poolPipeline').fill('4');
    expect(await summary('pool')).toBe('warm 2 · pipeline 4');
    await section('retry').locator('summary').click();
    expect(await dialog.getByTestId('service-retryOnStatus').inputValue()).toBe('502, 503, 504');
    await dialog.getByTestId('service-retryAttempts').fill('1');
    await dialog.getByTestId('service-retryOnStatus').fill('503');
    await dialog.getByTestId('service-health-enabled').check();
    await dialog.getByTestId('service-health-headers').fill('X-Health-Token: s3cret');
    // The longest ejection below the first is allowed, with a hint of what it means.
    await section('outlier').locator('summary').click();
    await dialog.getByTestId('service-outlierBaseEjectionMs').fill('60000');
    await dialog.getByTestId('service-outlierMaxEjectionMs').fill('1000');
    expect(await section('outlier').locator('.field-hint').textContent()).toBe('Shorter than the first ejection: every ejection lasts 1s');
    await dialog.getByTestId('service-outlierMaxEjectionMs').fill('600000');
    // A mistake left in a folded section: the save is refused, and the section opens on it.
    await dialog.getByTestId('service-poolMaxSize').fill('1');
    await section('pool').locator('summary').click();
    await eventually(() => section('pool').getAttribute('open')).toBeNull();
    await page.getByTestId('service-save').click();
    await eventually(() => section('pool').getAttribute('open')).toBe('');
    expect(await dialog.locator('[data-testid="field-error"][data-field="poolMinIdle"]').textContent()).toBe('Must be at most maxSize, the connections the pool may hold');
    expect(await section('pool').locator('.gw-section-errors').textContent()).toBe('1 error');
    expect(await dialog.isVisible()).toBe(true);
    expect((await backendInFile()).pool).toBeUndefined();
    await dialog.getByTestId('service-poolMaxSize').fill('');
    await screenshot(page, 'gateway-service-editor-sections-light');
    await page.getByTestId('service-save').click();
    await eventually(() => dialog.isVisible()).toBe(false);
    // The file gets what was set, and nothing of the defaults around it.
    await eventually(async () => (await backendInFile()).pool).toEqual({ minIdle: 2, pipeline: 4 });
    expect(await backendInFile()).toMatchObject({
      retry: { attempts: 1, onStatus: [503] },
      outlier: { baseEjectionMs: 60000, maxEjectionMs: 600000 },
      healthCheck: { path: '/healthz', headers: { 'X-Health-Token': 's3cret' } },
    });
    expect(Object.keys((await backendInFile()).retry as object)).toEqual(['attempts', 'onStatus']);
    // And runs: the pool keeps two connections warm, the check sends its header.
    const openConnections = async () => Number((await instance.getByRole('cell').allTextContents())[7]!.split(' · ')[0]);
    await eventually(openConnections).toBeGreaterThanOrEqual(2);
    await eventually(() => (backend.last?.path === '/healthz' ? backend.last.headers['x-health-token'] : undefined)).toBe('s3cret');
    expect((await send(gatewayPort, '/hello/pooled')).status).toBe(200);

    // Reopened, the sections holding settings are open, each with its line.
    await card.getByTestId('service-edit').click();
    await eventually(() => dialog.isVisible()).toBe(true);
    for (const id of ['retry', 'outlier', 'pool']) expect(await section(id).getAttribute('open')).toBe('');
    expect([await summary('retry'), await summary('outlier'), await summary('pool')]).toEqual(['retries 1 · on 503', 'first 1m · longest 10m', 'warm 2 · pipeline 4']);
    expect(await dialog.getByTestId('service-health-headers').inputValue()).toBe('X-Health-Token: s3cret');
    // Back to the defaults: emptied, none of it stays in the file.
    for (const field of ['poolMinIdle', 'poolPipeline', 'retryAttempts', 'outlierBaseEjectionMs', 'outlierMaxEjectionMs']) await dialog.getByTestId(`service-${field}`).fill('');
    await dialog.getByTestId('service-retryOnStatus').fill('502, 503, 504');
    await dialog.getByTestId('service-health-enabled').uncheck();
    expect(await summary('pool')).toBe('defaults');
    await page.getByTestId('service-save').click();
    await eventually(() => dialog.isVisible()).toBe(false);
    await eventually(async () => Object.keys(await backendInFile()).sort()).toEqual(['instances', 'name']);
  });

  it("switches a router off and on from its row, through the file", async () => {
    await openTab('routers');
    const toggle = routerRow('hello').getByTestId('router-enabled-switch');
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    await eventually(() => routerRow('hello').getAttribute('data-status')).toBe('disabled');
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    expect(await routerRow('hello').getByRole('gridcell').nth(2).textContent()).toBe('off');
    await eventually(toastText).toContainEqual(expect.stringContaining('"hello" takes no requests'));
    expect(await readFile(join(serve.dataDir, 'config.yaml'), 'utf8')).toMatch(/- name: hello\n(?: {6,}.*\n)*? {6,}enabled: false\n/);
    expect((await send(gatewayPort, '/hello/off')).status).toBe(404);
    await screenshot(page, 'gateway-router-switched-off-light');
    await toggle.click();
    await eventually(() => routerRow('hello').getAttribute('data-status')).toBe('enabled');
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    expect(await readFile(join(serve.dataDir, 'config.yaml'), 'utf8')).not.toContain('enabled: false');
    expect((await send(gatewayPort, '/hello/on')).status).toBe(200);
    // The same from the keyboard: o on the selected row, off and on again.
    await routerRow('hello').click();
    await page.keyboard.press('o');
    await eventually(() => routerRow('hello').getAttribute('data-status')).toBe('disabled');
    await page.keyboard.press('o');
    await eventually(() => routerRow('hello').getAttribute('data-status')).toBe('enabled');
    expect((await send(gatewayPort, '/hello/keys')).status).toBe(200);
  });

  it('adds a rate limit in the middleware editor and puts it in front of the router', async () => {
    await openTab('middlewares');
    await page.getByTestId('middleware-add').click();
    await page.getByTestId('mw-name').fill('limit');
    await page.getByTestId('mw-ratePerSecond').fill('0');
    await eventually(() => page.locator('[data-testid="field-error"][data-field="ratePerSecond"]').count()).toBe(1);
    await page.getByTestId('mw-ratePerSecond').fill('1');
    await page.getByTestId('mw-burst').fill('1');
    expect(await page.getByTestId('mw-ipv6Prefix').inputValue()).toBe('64');
    await page.getByTestId('mw-maxKeys').fill('500');
    await eventually(() => page.locator('[data-testid="field-error"][data-field="maxKeys"]').textContent()).toBe('A whole number from 1,000 to 1,000,000');
    await page.getByTestId('mw-maxKeys').fill('200000');
    await screenshot(page, 'gateway-middleware-editor-light');
    await page.getByTestId('middleware-save').click();
    await eventually(toastText).toContainEqual(expect.stringContaining('"limit" applies now'));
    const row = page.locator('[data-testid="middleware-row"][data-name="limit"]');
    await eventually(() => row.textContent()).toContain('1/s, burst 1, per ip, 200,000 keys');

    await openTab('routers');
    await routerRow('hello').getByTestId('router-edit').click();
    await page.getByTestId('router-middleware-add').selectOption('limit');
    await page.getByTestId('router-save').click();
    await eventually(toastText).toContainEqual(expect.stringContaining('"hello" applies now'));
    await eventually(() => routerRow('hello').textContent()).toContain('limit');

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(gatewayPort, '/hello/limited', { localAddress: '127.0.0.3' })).status);
    expect(statuses).toContain(429);
    await openTab('middlewares');
    await shoot('middlewares');
  });

  it('charts the gateway on the Overview and blocks a top client from there', async () => {
    for (let i = 0; i < 5; i++) await send(gatewayPort, `/hello/${i}`, { localAddress: '127.0.0.2' });
    await page.getByTestId('nav-overview').click();
    await eventually(() => page.getByTestId('gateway-charts').isVisible()).toBe(true);
    await eventually(async () => Number(await page.getByTestId('gw-chart-rps').getAttribute('data-points'))).toBeGreaterThan(0);
    const client = page.locator('[data-testid="top-client-row"][data-ip="127.0.0.2"]');
    await eventually(() => client.count()).toBe(1);
    // A second of failed answers and a slow one: each chart's scale follows its own figure, and each draws the total and every service.
    backend.status = 500;
    for (const ip of ['127.0.0.11', '127.0.0.12', '127.0.0.13']) await send(gatewayPort, '/hello/failing', { localAddress: ip });
    backend.status = 200;
    backend.delayMs = 400;
    await send(gatewayPort, '/hello/slow', { localAddress: '127.0.0.14' });
    backend.delayMs = 0;
    await eventually(() => topTick('gw-chart-errors')).toBeGreaterThanOrEqual(30);
    await eventually(() => topTick('gw-chart-p99')).toBeGreaterThanOrEqual(400);
    for (const chart of ['gw-chart-rps', 'gw-chart-errors', 'gw-chart-p99']) {
      expect(await page.getByTestId(chart).locator('.chart-legend li').allTextContents()).toEqual(['All', 'backend', 'spare']);
      expect(await page.getByTestId(chart).locator('.recharts-line').count()).toBe(3);
      // The lines are the figure the scale was made for: the highest reaches into the top third.
      expect(await peakShare(chart)).toBeGreaterThan(0.6);
    }
    // Requests and errors per client, side by side: most of 127.0.0.2's were answered or refused by the rate limit.
    const failing = page.locator('[data-testid="top-client-row"][data-ip="127.0.0.11"]');
    await eventually(() => failing.getByRole('cell').allTextContents()).toEqual(['127.0.0.11', '1', '1', 'Block']);
    const [, requests, errors] = await client.getByRole('cell').allTextContents();
    expect(Number(errors)).toBeLessThan(Number(requests));
    // A client's errors are more than the charts' error rate counts, and the column says so.
    expect(await page.getByTestId('top-clients').getByRole('columnheader', { name: 'Errors' }).getAttribute('title')).toMatch(/5xx.*without an answer.*malformed, too large or matching no router/);
    await page.getByTestId('gateway-charts').scrollIntoViewIfNeeded();
    await shoot('overview');
    await client.getByTestId('top-client-block').click();
    await eventually(() => page.getByTestId('block-dialog').textContent()).toContain('127.0.0.2');
    await page.getByTestId('block-dialog-reason').fill('e2e: top gateway client');
    await page.getByTestId('confirm-block').click();
    await eventually(toastText).toContainEqual(expect.stringContaining('Blocked 127.0.0.2'));
    await expect(send(gatewayPort, '/hello/blocked', { localAddress: '127.0.0.2', agent: false })).rejects.toThrow();
  });

  it('creates an API key shown once, and revokes it', async () => {
    await page.getByTestId('nav-gateway').click();
    await openTab('keys');
    await setTheme('dark');
    await page.getByTestId('apikey-create').click();
    await page.getByTestId('apikey-name').fill('e2e client');
    await page.getByTestId('apikey-create-confirm').click();
    await eventually(() => page.getByTestId('apikey-secret').textContent()).toMatch(/^nok_/);
    await screenshot(page, 'gateway-api-key-created-dark');
    await page.getByTestId('apikey-done').click();
    await setTheme('light');
    const row = page.getByTestId('apikey-row').filter({ hasText: 'e2e client' });
    await eventually(() => row.textContent()).toContain('active');
    await row.getByTestId('apikey-revoke').click();
    await page.getByTestId('apikey-revoke-confirm').click();
    await eventually(() => row.textContent()).toContain('revoked');
  });

  it('diffs two config versions and rolls back to the one before the router', async () => {
    await openTab('history');
    const versions = page.getByTestId('version-row');
    await eventually(() => versions.count()).toBeGreaterThanOrEqual(2);
    await eventually(() => page.getByTestId('version-diff').textContent()).toContain('- limit');
    await shoot('history');
    await versions.filter({ hasText: 'edited in the file' }).getByTestId('version-rollback').click();
    await page.getByTestId('rollback-confirm').click();
    await eventually(toastText).toContainEqual(expect.stringContaining('Rolled back to version'));
    // The rollback is a version of its own, listed as it applies.
    await eventually(() => versions.first().textContent()).toMatch(/applied.*rollback/);
    await openTab('routers');
    await eventually(() => page.getByTestId('routers-table').textContent()).toContain('No routers yet');
    expect(problems).toEqual([]);
  });

  it('shows a broken router from the file disabled, with its error, while the rest runs', async () => {
    const { file, text } = await replaceGatewaySection(
      `entryPoints:\n  - name: web\n    port: ${gatewayPort}\nrouters:\n  - name: hello\n    match: { path: { prefix: /hello } }\n    service: backend\n` +
        `  - name: broken\n    match: { path: { prefix: /broken } }\n    service: missing\nservices:\n  - name: backend\n    instances:\n      - url: ${backend.url}`,
    );
    const line = text.split('\n').findIndex((textLine) => textLine.includes('service: missing')) + 1;
    await eventually(() => routerRow('broken').getAttribute('data-status')).toBe('disabled');
    expect(await routerRow('broken').locator('[data-status]').textContent()).toBe('disabled');
    // The error names the file, the line and the field, above the table: no hover needed.
    await eventually(() => page.getByTestId('router-errors').textContent()).toBe(`broken: ${file}:${line}:7: gateway.routers[1].service: service "missing" is not defined`);
    // Seen from any tab: the Routers tab counts it.
    expect(await page.getByTestId('gw-tab-routers').getByTitle('1 disabled for errors').textContent()).toBe('1');
    expect(await routerRow('hello').locator('[data-status]').textContent()).toBe('enabled');
    expect((await send(gatewayPort, '/hello/still')).status).toBe(200);
    expect((await send(gatewayPort, '/broken')).status).toBe(404);
    await shoot('broken-router');
    expect(problems).toEqual([]);
  });

  it('shows an instance ejected after consecutive 5xx, with a countdown to its return', async () => {
    const flaky = await startBackend('flaky');
    flaky.status = 500;
    try {
      await replaceGatewaySection(
        `entryPoints:\n  - name: web\n    port: ${gatewayPort}\nrouters:\n  - name: flaky\n    match: { path: { prefix: /flaky } }\n    service: flaky\n` +
          `services:\n  - name: flaky\n    outlier: { consecutive5xx: 2, baseEjectionMs: 120000 }\n    instances:\n      - url: ${flaky.url}\n      - url: ${backend.url}`,
      );
      await openTab('services');
      const card = page.locator('[data-testid="service-card"][data-name="flaky"]');
      await eventually(() => card.textContent()).toContain('2 of 2 instances up');
      // Round robin: every other request meets the failing instance, which is out after its second 500 in a row.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await send(gatewayPort, `/flaky/${i}`, { localAddress: '127.0.0.5' })).status);
      expect(statuses.filter((status) => status === 500).length).toBeGreaterThanOrEqual(2);
      const health = card.locator(`[data-testid="instance-row"][data-url="${flaky.url}"] [data-health]`);
      await eventually(() => health.getAttribute('data-health')).toBe('ejected');
      await eventually(() => card.textContent()).toContain('1 of 2 instances up');
      expect(await card.locator(`[data-testid="instance-row"][data-url="${backend.url}"] [data-health]`).textContent()).toBe('healthy');
      // Its own figures say why, though every request it had came in the service's first second.
      await eventually(async () => (await card.locator(`[data-testid="instance-row"][data-url="${flaky.url}"]`).getByRole('cell').allTextContents())[4]).toBe('100%');
      // The countdown runs from the ejection's two minutes down, on the screen's own clock.
      const first = (await health.textContent()) ?? '';
      expect(first).toMatch(/^ejected · (2m 00s|1m [0-5]\ds)$/);
      await eventually(() => health.textContent()).not.toBe(first);
      expect(await health.textContent()).toMatch(/^ejected · 1m [0-5]\ds$/);
      await shoot('services-ejected');
      expect(problems).toEqual([]);
    } finally {
      await flaky.close();
    }
  });
});
