import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCodes, NetopsError } from '../../shared/errors.ts';
import { describeZodError } from '../../shared/rpc/index.ts';
import { dataDirPaths, writeFileAtomic } from '../engine/store/index.ts';

export const instanceRecord = z.object({
  url: z.string().url(),
  pid: z.number().int(),
  instanceId: z.string(),
  startedAt: z.number(),
});

export type InstanceRecord = z.infer<typeof instanceRecord>;

/** Lets the CLI find a running `netops serve` through the data dir. */
export async function writeInstanceRecord(dataDir: string, record: InstanceRecord): Promise<void> {
  await writeFileAtomic(dataDirPaths(dataDir).instance, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export async function removeInstanceRecord(dataDir: string, instanceId: string): Promise<void> {
  const current = await readInstanceRecord(dataDir).catch(() => undefined);
  // Never remove the record of a newer instance that took over the data dir.
  if (current?.instanceId === instanceId) await rm(dataDirPaths(dataDir).instance, { force: true });
}

export async function readInstanceRecord(dataDir: string): Promise<InstanceRecord> {
  const path = dataDirPaths(dataDir).instance;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new NetopsError(ErrorCodes.unavailable, `no running instance found in ${dataDir} (start one with "netops serve", or pass --url)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new NetopsError(ErrorCodes.configInvalid, `${path} is not valid JSON`);
  }
  const parsed = instanceRecord.safeParse(json);
  if (!parsed.success) throw new NetopsError(ErrorCodes.configInvalid, `${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
