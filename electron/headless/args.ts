import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ErrorCodes, NetopsError } from '../../shared/errors.ts';

export class UsageError extends NetopsError {
  constructor(message: string) {
    super(ErrorCodes.invalidArgument, message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into one-line usage errors. */
export function parseFlags<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

export function parsePort(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535, not "${value}"`);
  return Number(value);
}

export function parseHost(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(value)) throw new UsageError(`${flag} must be a host name or IP address, not "${value}"`);
  return value.replace(/^\[(.*)\]$/, '$1');
}
