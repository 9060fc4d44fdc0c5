import { readFile } from 'node:fs/promises';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';

/** A file's text, or undefined when it does not exist yet; any other failure is NETOPS_UNAVAILABLE naming the file. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NetopsError(ErrorCodes.unavailable, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
