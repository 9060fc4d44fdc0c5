import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { writeFileAtomic } from './atomic-file.ts';

/** The files of a data dir, in one place so nothing guesses a path. */
export function dataDirPaths(dataDir: string) {
  return {
    root: dataDir,
    token: join(dataDir, 'console-token'),
    instance: join(dataDir, 'instance.json'),
    defaultConfig: join(dataDir, 'config.yaml'),
  };
}

export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    const info = await stat(dataDir);
    // Tighten a dir we created earlier with a looser umask; never loosen.
    if ((info.mode & 0o077) !== 0) await chmod(dataDir, 0o700);
  }
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

/**
 * The console token: random, kept 0600, reused across restarts so a
 * bookmarked console URL keeps working.
 */
export async function loadOrCreateToken(dataDir: string): Promise<string> {
  const path = dataDirPaths(dataDir).token;
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (TOKEN_PATTERN.test(existing)) {
      if (process.platform !== 'win32') await chmod(path, 0o600);
      return existing;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new NetopsError(ErrorCodes.unavailable, `cannot read the console token at ${path}: ${(error as Error).message}`);
    }
  }
  // Hex, not base64url: a token that starts with '-' reads as a flag on a command line (--token -x...).
  const token = randomBytes(32).toString('hex');
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
  return token;
}
