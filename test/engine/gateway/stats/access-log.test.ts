import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessLog, type AccessLogEntry } from '../../../../electron/engine/gateway/stats/index.ts';

const dirs: string[] = [];
const logs: AccessLog[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netops-access-'));
  dirs.push(dir);
  return dir;
}
function open(options: ConstructorParameters<typeof AccessLog>[0]): AccessLog {
  const log = new AccessLog(options);
  logs.push(log);
  return log;
}
afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function entry(i: number): AccessLogEntry {
  return {
    timeMs: Date.UTC(2025, 0, 1, 12, 0, 0, i),
    clientIp: '192.0.2.1',
    method: 'GET',
    host: 'example.test',
    path: `/items/${i}?q="quoted"\\`,
    status: 200,
    bytesIn: 120,
    bytesOut: 3400,
    durationMs: 1.23456,
    router: 'api',
    service: 'backend',
    instance: 'http://127.0.0.1:9001',
    requestId: `req-${i}`,
    userAgent: 'curl/8.0 \u00e9\u0001',
  };
}

async function linesOf(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

describe('AccessLog', () => {
  it('writes one valid JSON object per request, in the background, with every field', async () => {
    const dir = await tempDir();
    const file = join(dir, 'logs', 'access.log');
    const log = open({ file, maxBytes: 1024 * 1024, keepFiles: 3 });
    for (let i = 0; i < 10; i++) log.log(entry(i));
    await log.flush();
    const lines = await linesOf(file);
    expect(lines).toHaveLength(10);
    expect(lines[3]).toEqual({
      time: '2025-01-01T12:00:00.003Z',
      client: '192.0.2.1',
      method: 'GET',
      host: 'example.test',
      path: '/items/3?q="quoted"\\',
      status: 200,
      bytesIn: 120,
      bytesOut: 3400,
      durationMs: 1.235,
      router: 'api',
      service: 'backend',
      instance: 'http://127.0.0.1:9001',
      requestId: 'req-3',
      userAgent: 'curl/8.0 \u00e9\u0001',
    });
    expect(log.counters()).toEqual({ written: 10, dropped: 0, writeErrors: 0, rotations: 0 });
    // A broken number never breaks the line.
    log.log({ ...entry(11), timeMs: Number.NaN, durationMs: Infinity, bytesOut: Number.NaN });
    await log.flush();
    expect((await linesOf(file))[10]).toMatchObject({ time: '1970-01-01T00:00:00.000Z', durationMs: 0, bytesOut: 0 });
  });

  it('flushes on its own timer without being asked', async () => {
    const file = join(await tempDir(), 'access.log');
    const log = open({ file, maxBytes: 1024 * 1024, keepFiles: 1, flushIntervalMs: 10 });
    log.log(entry(1));
    await expect.poll(async () => (await readFile(file, 'utf8').catch(() => '')).length, { timeout: 2000 }).toBeGreaterThan(0);
  });

  it('rotates at maxBytes and keeps keepFiles rotated files', async () => {
    const dir = await tempDir();
    const file = join(dir, 'access.log');
    // Lines 10-22 are the longest (two-digit ids); five of them fill a file, and so do five shorter ones.
    const maxBytes = (await sizeOfOneLine(dir)) * 5;
    const log = open({ file, maxBytes, keepFiles: 2 });
    // 23 lines at 5 per file: four rotations; only the newest two rotated files remain.
    for (let i = 0; i < 23; i++) {
      log.log(entry(i));
      if (i % 3 === 0) await log.flush();
    }
    await log.flush();
    expect((await readdir(dir)).sort()).toEqual(['access.log', 'access.log.1', 'access.log.2']);
    const current = await linesOf(file);
    const first = await linesOf(`${file}.1`);
    const second = await linesOf(`${file}.2`);
    expect(current.map((l) => (l as { requestId: string }).requestId)).toEqual(['req-20', 'req-21', 'req-22']);
    expect(first).toHaveLength(5);
    expect(second).toHaveLength(5);
    expect((second[0] as { requestId: string }).requestId).toBe('req-10');
    for (const name of ['access.log', 'access.log.1', 'access.log.2']) {
      expect(Buffer.byteLength(await readFile(join(dir, name), 'utf8'))).toBeLessThanOrEqual(maxBytes);
    }
    expect(log.counters()).toMatchObject({ written: 23, rotations: 4, dropped: 0 });
  });

  it('counts and drops on a write error instead of throwing, and drops past its buffer', async () => {
    const dir = await tempDir();
    // A file where the log's directory should be: fails for root too, unlike a read-only directory.
    const file = join(dir, 'file-as-parent');
    await writeFile(file, 'x');
    const log = open({ file: join(file, 'access.log'), maxBytes: 4096, keepFiles: 1 });
    log.log(entry(1));
    log.log(entry(2));
    await log.flush();
    expect(log.counters()).toMatchObject({ written: 0, dropped: 2, writeErrors: 1 });

    const small = open({ file: join(dir, 'ok.log'), maxBytes: 1024 * 1024, keepFiles: 1, maxBufferedBytes: 1000 });
    for (let i = 0; i < 20; i++) small.log(entry(i));
    expect(small.counters().dropped).toBeGreaterThan(0);
    await small.close();
    small.log(entry(99));
    expect(small.counters().written + small.counters().dropped).toBe(21);
  });
});

/** The byte length of one line as the log writes it, measured through the log itself. */
async function sizeOfOneLine(dir: string): Promise<number> {
  const file = join(dir, 'measure', 'one.log');
  const log = new AccessLog({ file, maxBytes: 1024 * 1024, keepFiles: 1 });
  log.log(entry(10));
  await log.close();
  const size = Buffer.byteLength(await readFile(file, 'utf8'));
  await rm(join(dir, 'measure'), { recursive: true });
  return size;
}
