import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_KEYS_FILE, ApiKeyStore } from '../../../electron/engine/security/index.ts';
import { ErrorCodes, isNetopsError } from '../../../shared/errors.ts';

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netops-keys-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('ApiKeyStore', () => {
  it('creates a prefixed 32-byte key that verifies to its id; other strings do not', async () => {
    const store = await ApiKeyStore.open({ dataDir: await dataDir(), now: () => 1000 });
    const created = await store.create({ name: 'ci' });
    expect(created.key).toMatch(/^nok_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.key.slice(4), 'base64url')).toHaveLength(32);
    expect(store.verify(created.key)).toBe(created.id);
    expect(store.verify(created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    expect(store.verify('')).toBeUndefined();
    expect(store.verify('nok_short')).toBeUndefined();
    expect(created.info).toEqual({ id: created.id, name: 'ci', prefix: created.key.slice(0, 10), createdAt: 1000, revokedAt: null });
  });

  it('stores only a hash, in a 0600 file', async () => {
    const dir = await dataDir();
    const store = await ApiKeyStore.open({ dataDir: dir });
    const a = await store.create({ name: 'a' });
    const b = await store.create({ name: 'b' });
    const file = join(dir, API_KEYS_FILE);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(a.key);
    expect(text).not.toContain(b.key);
    expect(text).not.toContain(a.key.slice(4));
    expect(text).toContain(a.id);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(store.list())).not.toContain(a.key);
  });

  it('revokes at once and keeps the revoked key listed', async () => {
    let now = 1000;
    const store = await ApiKeyStore.open({ dataDir: await dataDir(), now: () => now });
    const a = await store.create({ name: 'a' });
    const b = await store.create({ name: 'b' });
    now = 2000;
    const revoked = await store.revoke(a.id);
    expect(revoked.revokedAt).toBe(2000);
    expect(store.verify(a.key)).toBeUndefined();
    expect(store.verify(b.key)).toBe(b.id);
    expect(store.list().map((k) => [k.name, k.revokedAt])).toEqual([
      ['a', 2000],
      ['b', null],
    ]);
    await expect(store.revoke('key_000000000000')).rejects.toSatisfy((error) => isNetopsError(error, ErrorCodes.notFound));
  });

  it('tells listeners about changes and lists the active hashes for the workers', async () => {
    const store = await ApiKeyStore.open({ dataDir: await dataDir() });
    let changes = 0;
    const listener = store.onDidChange(() => changes++);
    const a = await store.create({ name: 'a' });
    const b = await store.create({ name: 'b' });
    await store.revoke(a.id);
    expect(changes).toBe(3);
    expect(store.activeHashes()).toEqual([{ id: b.id, hash: createHash('sha256').update(b.key).digest('hex') }]);
    listener.dispose();
    store.dispose();
  });

  it('keeps keys and revocations across a reopen', async () => {
    const dir = await dataDir();
    const first = await ApiKeyStore.open({ dataDir: dir });
    const a = await first.create({ name: 'a' });
    const b = await first.create({ name: 'b' });
    await first.revoke(b.id);
    const second = await ApiKeyStore.open({ dataDir: dir });
    expect(second.verify(a.key)).toBe(a.id);
    expect(second.verify(b.key)).toBeUndefined();
    expect(second.list()).toEqual(first.list());
  });

  it('refuses a bad name and a corrupt file with stable codes', async () => {
    const dir = await dataDir();
    const store = await ApiKeyStore.open({ dataDir: dir });
    await expect(store.create({ name: '  ' })).rejects.toSatisfy((error) => isNetopsError(error, ErrorCodes.invalidArgument));
    await writeFile(join(dir, API_KEYS_FILE), '{"version":1,"keys":[{"id":"x"}]}');
    await expect(ApiKeyStore.open({ dataDir: dir })).rejects.toSatisfy((error) => isNetopsError(error, ErrorCodes.configInvalid));
  });
});
