import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayConfigHistory, GATEWAY_VERSIONS_DIR } from '../../../../electron/engine/gateway/config/index.ts';
import { ErrorCodes } from '../../../../shared/errors.ts';

describe('GatewayConfigHistory', () => {
  let dataDir: string;
  let clock: number;
  const now = () => clock;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'netops-gateway-history-'));
    clock = 1_000;
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('records versions with monotonic ids, time, source, summary and sha256', async () => {
    const history = new GatewayConfigHistory({ dataDir, now });
    const first = await history.record('gateway: {}\n', { source: 'file', summary: 'loaded' });
    clock = 2_000;
    const second = await history.record('gateway:\n  workers: 2\n', { source: 'ui', summary: 'two workers' });
    expect(first).toEqual({ id: 1, at: 1_000, source: 'file', summary: 'loaded', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(first.sha256).toBe(createHash('sha256').update('gateway: {}\n').digest('hex'));
    expect(second).toMatchObject({ id: 2, at: 2_000, source: 'ui', summary: 'two workers' });
    expect(await history.list()).toEqual([first, second]);
    expect(await history.get(2)).toBe('gateway:\n  workers: 2\n');
  });

  it('an identical consecutive text is not a new version; a return to an older text is', async () => {
    const history = new GatewayConfigHistory({ dataDir, now });
    const a = await history.record('a\n', { source: 'file', summary: 'a' });
    expect(await history.record('a\n', { source: 'cli', summary: 'again' })).toEqual(a);
    await history.record('b\n', { source: 'ui', summary: 'b' });
    const back = await history.record('a\n', { source: 'rollback', summary: 'back to 1' });
    expect(back.id).toBe(3);
    expect((await history.list()).map((version) => version.id)).toEqual([1, 2, 3]);
  });

  it('survives a restart: a new instance reads the folder and continues the ids', async () => {
    await new GatewayConfigHistory({ dataDir, now }).record('one\n', { source: 'file', summary: '1' });
    const reopened = new GatewayConfigHistory({ dataDir, now });
    expect((await reopened.record('two\n', { source: 'file', summary: '2' })).id).toBe(2);
    expect(await reopened.get(1)).toBe('one\n');
  });

  it('keeps at most maxVersions, dropping the oldest; ids are never reused', async () => {
    const history = new GatewayConfigHistory({ dataDir, now, maxVersions: 3 });
    for (let i = 1; i <= 5; i++) await history.record(`v${i}\n`, { source: 'cli', summary: `${i}` });
    expect((await history.list()).map((version) => version.id)).toEqual([3, 4, 5]);
    expect((await readdir(join(dataDir, GATEWAY_VERSIONS_DIR))).sort()).toEqual(['0000000003.json', '0000000003.yaml', '0000000004.json', '0000000004.yaml', '0000000005.json', '0000000005.yaml']);
    await expect(history.get(1)).rejects.toMatchObject({ code: ErrorCodes.notFound });
    expect((await new GatewayConfigHistory({ dataDir, now, maxVersions: 3 }).record('v6\n', { source: 'cli', summary: '6' })).id).toBe(6);
  });

  it('files are 0600 in a 0700 folder', async () => {
    const history = new GatewayConfigHistory({ dataDir, now });
    await history.record('secret: no\n', { source: 'file', summary: 's' });
    const dir = join(dataDir, GATEWAY_VERSIONS_DIR);
    for (const name of await readdir(dir)) expect((await stat(join(dir, name))).mode & 0o777, name).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('diffs two versions as a unified diff', async () => {
    const history = new GatewayConfigHistory({ dataDir, now });
    await history.record('gateway:\n  workers: 2\n  routers: []\n', { source: 'file', summary: 'a' });
    await history.record('gateway:\n  workers: 4\n  routers: []\n', { source: 'ui', summary: 'b' });
    expect(await history.diff(1, 2)).toBe('--- version 1\n+++ version 2\n@@ -1,3 +1,3 @@\n gateway:\n-  workers: 2\n+  workers: 4\n   routers: []\n');
    expect(await history.diff(2, 2)).toBe('');
    await expect(history.diff(1, 9)).rejects.toMatchObject({ code: ErrorCodes.notFound });
  });

  it('concurrent records are serialized: distinct ids, all stored', async () => {
    const history = new GatewayConfigHistory({ dataDir, now });
    const versions = await Promise.all(Array.from({ length: 8 }, (_, i) => history.record(`t${i}\n`, { source: 'ui', summary: `${i}` })));
    expect(versions.map((version) => version.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await history.get(8)).toBe('t7\n');
  });

  it('an orphan text from a crash between the two writes is ignored and overwritten', async () => {
    const dir = join(dataDir, GATEWAY_VERSIONS_DIR);
    const history = new GatewayConfigHistory({ dataDir, now });
    await history.record('one\n', { source: 'file', summary: '1' });
    await writeFile(join(dir, '0000000002.yaml'), 'torn');
    const reopened = new GatewayConfigHistory({ dataDir, now });
    expect((await reopened.list()).map((version) => version.id)).toEqual([1]);
    expect((await reopened.record('two\n', { source: 'file', summary: '2' })).id).toBe(2);
    expect(await reopened.get(2)).toBe('two\n');
  });

  it('a corrupt metadata file is a config error, not a crash', async () => {
    const dir = join(dataDir, GATEWAY_VERSIONS_DIR);
    await new GatewayConfigHistory({ dataDir, now }).record('one\n', { source: 'file', summary: '1' });
    await writeFile(join(dir, '0000000001.json'), '{not json');
    await expect(new GatewayConfigHistory({ dataDir, now }).list()).rejects.toMatchObject({ code: ErrorCodes.configInvalid });
  });

  it('refuses a maxVersions below 1', () => {
    expect(() => new GatewayConfigHistory({ dataDir, maxVersions: 0 })).toThrow(expect.objectContaining({ code: ErrorCodes.invalidArgument }));
  });
});
