import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, isNetopsError } from '../../../shared/errors.ts';
import { dataDirPaths, ensureDataDir, loadOrCreateToken, writeFileAtomic } from '../../../electron/engine/store/index.ts';

const posix = process.platform !== 'win32';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netops-store-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Anything writeFileAtomic may leave next to its target: its temp files are `.NAME.HEX.tmp`. */
async function leftovers(inDir: string): Promise<string[]> {
  return (await readdir(inDir)).filter((name) => name.endsWith('.tmp'));
}

describe('writeFileAtomic', () => {
  it('writes the exact bytes, strings and binary alike', async () => {
    const text = join(dir, 'a.txt');
    await writeFileAtomic(text, 'héllo\nwörld\n');
    expect(await readFile(text, 'utf8')).toBe('héllo\nwörld\n');

    const binary = join(dir, 'b.bin');
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    await writeFileAtomic(binary, bytes);
    expect(Buffer.compare(await readFile(binary), Buffer.from(bytes))).toBe(0);

    const empty = join(dir, 'empty');
    await writeFileAtomic(empty, '');
    expect((await stat(empty)).size).toBe(0);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('replaces an existing file completely (no tail of the longer old content)', async () => {
    const path = join(dir, 'f');
    await writeFileAtomic(path, 'x'.repeat(10_000));
    await writeFileAtomic(path, 'short');
    expect(await readFile(path, 'utf8')).toBe('short');
  });

  it.runIf(posix)('gives the file the requested mode regardless of umask, 0644 by default', async () => {
    const secret = join(dir, 'secret');
    await writeFileAtomic(secret, 's', { mode: 0o600 });
    expect(await modeOf(secret)).toBe(0o600);

    const plain = join(dir, 'plain');
    await writeFileAtomic(plain, 'p');
    expect(await modeOf(plain)).toBe(0o644);

    // umask cannot widen a mode, but it can strip bits: 0o660 would become 0o640 under umask 022 without the chmod.
    const group = join(dir, 'group');
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(group, 'g', { mode: 0o660 });
    } finally {
      process.umask(previous);
    }
    expect(await modeOf(group)).toBe(0o660);
  });

  it.runIf(posix)('tightens the mode of a file it replaces', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 'old', { mode: 0o666 });
    await chmod(path, 0o666);
    await writeFileAtomic(path, 'new', { mode: 0o600 });
    expect(await modeOf(path)).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe('new');
  });

  it.runIf(posix)('creates missing parent directories, private (0700)', async () => {
    const path = join(dir, 'a', 'b', 'c.json');
    await writeFileAtomic(path, '{}');
    expect(await readFile(path, 'utf8')).toBe('{}');
    expect(await modeOf(join(dir, 'a'))).toBe(0o700);
    expect(await modeOf(join(dir, 'a', 'b'))).toBe(0o700);
  });

  it('leaves no temp files behind after many writes', async () => {
    const path = join(dir, 'state.json');
    for (let i = 0; i < 50; i++) await writeFileAtomic(path, JSON.stringify({ i }));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ i: 49 });
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('concurrent writers leave exactly one complete version, and readers never see a torn one', async () => {
    const path = join(dir, 'contended');
    const size = 256 * 1024;
    // Each version is one repeated letter plus its own trailer, so any mix of two is detectable.
    const versions = Array.from({ length: 16 }, (_, i) => `${String.fromCharCode(65 + i).repeat(size)}#${i}`);
    await writeFileAtomic(path, 'initial');
    const valid = new Set(['initial', ...versions]);

    let writing = true;
    let reads = 0;
    const reader = (async () => {
      const deadline = Date.now() + 10_000;
      while (writing && Date.now() < deadline) {
        const seen = await readFile(path, 'utf8');
        reads++;
        if (!valid.has(seen)) throw new Error(`a reader saw a torn file of ${seen.length} bytes starting ${JSON.stringify(seen.slice(0, 8))}`);
      }
    })();
    await Promise.all(versions.map((data) => writeFileAtomic(path, data, { mode: 0o600 })));
    writing = false;
    await reader;

    expect(reads).toBeGreaterThan(0);
    const final = await readFile(path, 'utf8');
    expect(versions).toContain(final);
    expect(await readdir(dir)).toEqual(['contended']);
  });

  it('a write that fails midway leaves the old file intact and removes its temp file', async () => {
    const path = join(dir, 'config.yaml');
    await writeFileAtomic(path, 'old content\n', { mode: 0o600 });
    // A source that fails after part of the new content has reached the temp file, like a full disk.
    async function* failingSource() {
      yield Buffer.from('new content, first half');
      throw new Error('disk full (simulated)');
    }
    await expect(writeFileAtomic(path, failingSource() as unknown as Uint8Array)).rejects.toThrow('disk full (simulated)');
    expect(await readFile(path, 'utf8')).toBe('old content\n');
    expect(await readdir(dir)).toEqual(['config.yaml']);
  });

  it('a rename that fails (the target is a directory) removes the temp file and keeps what was there', async () => {
    const target = join(dir, 'target');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'keep me');
    await expect(writeFileAtomic(target, 'data')).rejects.toMatchObject({ code: expect.stringMatching(/^E/) });
    expect(await readFile(join(target, 'inside'), 'utf8')).toBe('keep me');
    expect(await readdir(dir)).toEqual(['target']);
  });
});

describe('data dir and console token', () => {
  it.runIf(posix)('ensureDataDir creates the dir 0700 and tightens a loose one, never loosens', async () => {
    const fresh = join(dir, 'fresh', 'nested');
    await ensureDataDir(fresh);
    expect(await modeOf(fresh)).toBe(0o700);

    const loose = join(dir, 'loose');
    await mkdir(loose);
    await chmod(loose, 0o755);
    await ensureDataDir(loose);
    expect(await modeOf(loose)).toBe(0o700);

    const tighter = join(dir, 'tighter');
    await mkdir(tighter);
    await chmod(tighter, 0o500);
    await ensureDataDir(tighter);
    expect(await modeOf(tighter)).toBe(0o500);
  });

  it('dataDirPaths keeps every file inside the data dir', () => {
    const paths = dataDirPaths(dir);
    expect(paths.root).toBe(dir);
    for (const path of [paths.token, paths.instance, paths.defaultConfig]) expect(path.startsWith(join(dir, '/'))).toBe(true);
  });

  it('loadOrCreateToken creates a long random token in a 0600 file and reuses it', async () => {
    const token = await loadOrCreateToken(dir);
    // hex: a token starting with '-' would read as a flag on the command line
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const file = dataDirPaths(dir).token;
    expect((await readFile(file, 'utf8')).trim()).toBe(token);
    if (posix) expect(await modeOf(file)).toBe(0o600);

    expect(await loadOrCreateToken(dir)).toBe(token);
    expect(await loadOrCreateToken(dir)).toBe(token);
    expect(await leftovers(dir)).toEqual([]);

    // Another data dir gets its own token.
    const other = join(dir, 'other');
    expect(await loadOrCreateToken(other)).not.toBe(token);
  });

  it('reuses a token an operator wrote by hand (with whitespace) and tightens its mode', async () => {
    const file = dataDirPaths(dir).token;
    const chosen = 'operator_chosen-token_0123456789abcdefXYZ';
    await writeFile(file, `  ${chosen}\n\n`, { mode: 0o644 });
    if (posix) await chmod(file, 0o644);
    expect(await loadOrCreateToken(dir)).toBe(chosen);
    if (posix) expect(await modeOf(file)).toBe(0o600);
  });

  it('replaces a token file that is too short or has characters a URL would mangle', async () => {
    const file = dataDirPaths(dir).token;
    for (const bad of ['short', 'has spaces in it but is long enough to pass a length check', `${'a'.repeat(40)}/?&#`, '']) {
      await writeFile(file, bad);
      const token = await loadOrCreateToken(dir);
      expect(token).not.toBe(bad.trim());
      expect(token).toMatch(/^[A-Za-z0-9_-]{32,128}$/);
      expect((await readFile(file, 'utf8')).trim()).toBe(token);
      if (posix) expect(await modeOf(file)).toBe(0o600);
    }
  });

  it('a token path it cannot read is an error with a code, not a silently new token', async () => {
    const file = dataDirPaths(dir).token;
    await mkdir(file);
    const error = await loadOrCreateToken(dir).catch((e: unknown) => e);
    expect(isNetopsError(error, ErrorCodes.unavailable)).toBe(true);
    expect((error as Error).message).toContain(file);
  });
});
