import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oneRouteGatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { eventually, freePort, launchBrowser, saveFailureReport, screenshot, ServeProcess, watchPage } from './harness.ts';

/**
 * The Gateway screen of a gateway with two data-plane workers: each has
 * pools of its own, and the screen shows an instance's as one.
 */

let serve: ServeProcess;
let backend: Backend;
let gatewayPort: number;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  backend = await startBackend('one');
  serve = await ServeProcess.start();
  gatewayPort = await freePort();
  await appendFile(join(serve.dataDir, 'config.yaml'), oneRouteGatewayYaml(backend.url, 2).replace('port: 0', `port: ${gatewayPort}`));
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' })).newPage();
  problems = watchPage(page);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await saveFailureReport(ctx.task.name, serve, page.context(), problems);
});

afterAll(async () => {
  await browser?.close();
  const code = await serve?.stop();
  await backend?.close();
  expect(code).toBe(0);
});

describe('the Gateway screen with two workers', () => {
  it('sums every worker\'s pool into the instance\'s pool cell', async () => {
    await page.goto(serve.url);
    await page.getByTestId('nav-gateway').click();
    await eventually(() => page.getByTestId('gw-workers').textContent()).toContain('2 workers');
    await page.getByTestId('gw-tab-services').click();
    const pool = page.locator(`[data-testid="instance-row"][data-url="${backend.url}"] [data-testid="instance-pool"]`);
    // A connection a request: the kernel spreads them over both workers' listening sockets, and each worker opens a pool connection of its own.
    for (let index = 0; index < 40; index++) expect((await send(gatewayPort, `/spread/${index}`, { agent: false })).status).toBe(200);
    await eventually(() => pool.getAttribute('title')).toMatch(/^2 opened, 38 reuses/);
    expect(await pool.textContent()).toBe('2 · 2 · 0 · 0');

    // The service's retry budget, which both worker threads share: the default allows 100 retries in 10 s.
    const retries = page.locator(`[data-testid="service-card"][data-name="one"] [data-testid="service-retries"]`);
    await eventually(() => retries.textContent()).toBe('retries 0 of 100 in 10 s');
    expect(await retries.getAttribute('title')).toContain('minRetriesPerSecond × 10 s');
    // One request answered 503 on every attempt: the default policy's two retries are counted.
    backend.status = 503;
    expect((await send(gatewayPort, '/retried', { agent: false })).status).toBe(503);
    backend.status = 200;
    await eventually(() => retries.textContent()).toBe('retries 2 of 100 in 10 s');
    await screenshot(page, 'gateway-workers-services-light');
    expect(problems).toEqual([]);
  });

  it('applies another worker count from the file live, and says in the header while a leaving worker drains', async () => {
    const file = join(serve.dataDir, 'config.yaml');
    const text = await readFile(file, 'utf8');
    // Slow answers on 16 connections: the kernel puts some on each worker (all on one: 1 in 65,536).
    backend.delayMs = 4000;
    const inFlight = Array.from({ length: 16 }, (_, index) => send(gatewayPort, `/slow/${index}`, { agent: false }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(file, text.replace('workers: 2', 'workers: 1'));
    await eventually(() => page.getByTestId('gw-workers').textContent()).toBe('1 worker · 1 draining');
    expect(await page.getByTestId('gw-workers').getAttribute('title')).toContain("1 worker left when the config's count went down: accepting nothing new, answering the requests they had, then exiting");
    await screenshot(page, 'gateway-workers-draining-light');
    // Every request the leaving worker had is answered.
    expect((await Promise.all(inFlight)).map((answer) => answer.status)).toEqual(inFlight.map(() => 200));
    backend.delayMs = 0;
    await eventually(() => page.getByTestId('gw-workers').textContent()).toBe('1 worker');
    await writeFile(file, text);
    await eventually(() => page.getByTestId('gw-workers').textContent()).toBe('2 workers');
    for (let index = 0; index < 20; index++) expect((await send(gatewayPort, `/again/${index}`, { agent: false })).status).toBe(200);
    await eventually(() => page.getByTestId('gw-workers').getAttribute('title')).toMatch(/^worker 0: thread \d+, CPUs [\d,-]+, [\d,]+ connections? accepted\nworker 1: thread \d+, CPUs [\d,-]+, [1-9][\d,]* connections? accepted\n/);
    expect(problems).toEqual([]);
  });

  it("gives a client its rate limit once, not once per worker thread, and counts both workers' answers", async () => {
    const file = join(serve.dataDir, 'config.yaml');
    const text = await readFile(file, 'utf8');
    const limited = text
      .replace('  routers:\n', '  middlewares:\n    - { name: limit, type: rateLimit, ratePerSecond: 0.01, burst: 5 }\n  routers:\n')
      .replace('    - name: all\n', '    - name: all\n      middlewares: [limit]\n');
    expect(limited).toContain('middlewares: [limit]');
    await writeFile(file, limited);
    await page.getByTestId('gw-tab-middlewares').click();
    const row = page.locator('[data-testid="middleware-row"][data-name="limit"]');
    await eventually(() => row.count()).toBe(1);
    // A connection a request, so both worker threads answer some of them.
    const statuses: number[] = [];
    for (let index = 0; index < 20; index++) statuses.push((await send(gatewayPort, `/limited/${index}`, { agent: false, localAddress: '127.0.0.41' })).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    await eventually(() => row.textContent()).toContain('limited 15');
    expect(await row.textContent()).toContain('allowed 5');
    expect(await row.textContent()).toContain('keys tracked 1');
    await screenshot(page, 'gateway-workers-shared-rate-limit-light');
    expect(problems).toEqual([]);
  });
});
