import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.NETOPS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const CLI = join(process.cwd(), 'dist', 'node', 'cli.js');
const UI = join(process.cwd(), 'dist', 'renderer', 'index.html');

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A real `netops serve` process on port 0 with a temp data dir; its output is kept for failure reports. */
export class ServeProcess {
  readonly log: string[] = [];
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly echoPort: number,
    readonly dataDir: string,
  ) {}

  /** The port of the echo listener on ::1 (`echo6`), when start was asked for one; else 0. */
  echo6Port = 0;

  /**
   * Pass a previous instance's data dir, UI port and echo port to restart "the same" console;
   * `echo6` adds a second echo listener, on IPv6 loopback.
   */
  static async start(previous?: { dataDir: string; uiPort: number; echoPort: number }, options: { echo6?: boolean } = {}): Promise<ServeProcess> {
    if (!existsSync(CLI) || !existsSync(UI)) {
      throw new Error(`the build is missing (${CLI}, ${UI}): run "npm run build" first (npm test does)`);
    }
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
    const dataDir = previous?.dataDir ?? (await mkdtemp(join(tmpdir(), 'netops-e2e-')));
    const echoPort = previous?.echoPort ?? (await freePort());
    const config = join(dataDir, 'config.yaml');
    const echo6Port = options.echo6 ? await freePort('::1') : 0;
    const echo6 = echo6Port > 0 ? `  - name: echo6\n    handler: echo\n    host: "::1"\n    port: ${echo6Port}\n` : '';
    await writeFile(config, `listeners:\n  - name: echo\n    handler: echo\n    host: 127.0.0.1\n    port: ${echoPort}\n${echo6}`);
    const child = spawn(process.execPath, [CLI, 'serve', '--ui-port', String(previous?.uiPort ?? 0), '--data-dir', dataDir, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => log.push(`[stderr] ${chunk.toString()}`));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`netops serve did not print its console line: ${out}${log.join('')}`)), 15_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        log.push(`[stdout] ${chunk.toString()}`);
        const match = /console: (http:\/\/\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`netops serve exited with ${code}: ${log.join('')}`)));
    });
    const serve = new ServeProcess(child, url, echoPort, dataDir);
    serve.echo6Port = echo6Port;
    serve.log.push(...log);
    return serve;
  }

  get origin(): string {
    return new URL(this.url).origin;
  }

  get uiPort(): number {
    return Number(new URL(this.url).port);
  }

  /** SIGTERM, as an operator or a supervisor would; keepDataDir for a restart on the same dir. */
  async stop(keepDataDir = false): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    if (!keepDataDir) await rm(this.dataDir, { recursive: true, force: true });
    return code;
  }
}

/** The server applies, samples and streams on its own clock (about once a second): allow it a few rounds. */
export function eventually<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 10_000, interval: 50 });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Collects page errors and console errors (CSP violations land there) for assertions and failure reports. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()} @ ${message.location().url}`);
  });
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(ARTIFACTS, 'screenshots');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

export async function saveFailureReport(name: string, serve: ServeProcess | undefined, context: BrowserContext | undefined, problems: string[]): Promise<void> {
  const dir = join(ARTIFACTS, 'e2e-failures', name.replace(/[^a-z0-9-]+/gi, '_'));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'serve.log'), serve?.log.join('') ?? '(no server)');
  await writeFile(join(dir, 'page-problems.log'), problems.join('\n'));
  for (const [i, page] of (context?.pages() ?? []).entries()) {
    await page.screenshot({ path: join(dir, `page-${i}.png`) }).catch(() => undefined);
  }
}
