import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { writeFileAtomic } from '../../store/index.ts';
import { unifiedDiff } from './line-diff.ts';

export const GATEWAY_VERSIONS_DIR = 'gateway-versions';

export type VersionSource = 'file' | 'ui' | 'cli' | 'rollback';

export interface GatewayConfigVersion {
  /** 1, 2, 3...: never reused, also after old versions are dropped. */
  id: number;
  /** ms since epoch. */
  at: number;
  source: VersionSource;
  summary: string;
  /** Hex SHA-256 of the text. */
  sha256: string;
}

export interface GatewayConfigHistoryOptions {
  /** The data dir; versions live in <dataDir>/gateway-versions/. */
  dataDir: string;
  /** The most versions kept; the oldest go first. */
  maxVersions?: number;
  now?: () => number;
}

const versionMeta = z
  .object({
    id: z.number().int().min(1),
    at: z.number(),
    source: z.enum(['file', 'ui', 'cli', 'rollback']),
    summary: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

const NAME = /^(\d{10})\.json$/;

/**
 * Every applied version of the gateway file, so an operator can see what
 * changed and roll back. Each version is two files written atomically and
 * 0600: NNNNNNNNNN.yaml (the text) then NNNNNNNNNN.json (its metadata). The
 * metadata file is what makes a version exist, so a crash between the two
 * leaves an orphan text that the next record overwrites, never a version
 * without its text. Calls are serialized in the order they are made.
 */
export class GatewayConfigHistory {
  readonly dir: string;
  private readonly maxVersions: number;
  private readonly now: () => number;
  private versions: GatewayConfigVersion[] | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: GatewayConfigHistoryOptions) {
    const maxVersions = options.maxVersions ?? 100;
    if (!Number.isInteger(maxVersions) || maxVersions < 1) throw new NetopsError(ErrorCodes.invalidArgument, `maxVersions must be a positive integer, got ${maxVersions}`);
    this.dir = join(options.dataDir, GATEWAY_VERSIONS_DIR);
    this.maxVersions = maxVersions;
    this.now = options.now ?? Date.now;
  }

  /** Stores the text as a new version, or returns the newest one unchanged when its text is the same. */
  record(text: string, meta: { source: VersionSource; summary: string }): Promise<GatewayConfigVersion> {
    return this.serialize(async () => {
      const versions = await this.load();
      const sha256 = createHash('sha256').update(text).digest('hex');
      const newest = versions[versions.length - 1];
      if (newest && newest.sha256 === sha256) return { ...newest };
      const version: GatewayConfigVersion = { id: (newest?.id ?? 0) + 1, at: this.now(), source: meta.source, summary: meta.summary, sha256 };
      await writeFileAtomic(this.path(version.id, 'yaml'), text, { mode: 0o600 });
      await writeFileAtomic(this.path(version.id, 'json'), `${JSON.stringify(version)}\n`, { mode: 0o600 });
      versions.push(version);
      while (versions.length > this.maxVersions) {
        const dropped = versions.shift()!;
        // Metadata first: a crash midway leaves an orphan text, not a version that lost its text.
        await rm(this.path(dropped.id, 'json'), { force: true });
        await rm(this.path(dropped.id, 'yaml'), { force: true });
      }
      return { ...version };
    });
  }

  /** Oldest first. */
  list(): Promise<GatewayConfigVersion[]> {
    return this.serialize(async () => (await this.load()).map((version) => ({ ...version })));
  }

  get(id: number): Promise<string> {
    return this.serialize(async () => {
      await this.require(id);
      return readFile(this.path(id, 'yaml'), 'utf8');
    });
  }

  /** A unified diff from one version to another ('' when their texts are equal). */
  diff(fromId: number, toId: number): Promise<string> {
    return this.serialize(async () => {
      await this.require(fromId);
      await this.require(toId);
      const [from, to] = await Promise.all([readFile(this.path(fromId, 'yaml'), 'utf8'), readFile(this.path(toId, 'yaml'), 'utf8')]);
      return unifiedDiff(from, to, `version ${fromId}`, `version ${toId}`);
    });
  }

  private async require(id: number): Promise<void> {
    const versions = await this.load();
    if (!versions.some((version) => version.id === id)) throw new NetopsError(ErrorCodes.notFound, `no gateway config version ${id}`);
  }

  private path(id: number, extension: 'yaml' | 'json'): string {
    return join(this.dir, `${String(id).padStart(10, '0')}.${extension}`);
  }

  private async load(): Promise<GatewayConfigVersion[]> {
    if (this.versions) return this.versions;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const versions: GatewayConfigVersion[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      if (!NAME.test(name)) continue;
      const parsed = versionMeta.safeParse(parseJson(await readFile(join(this.dir, name), 'utf8')));
      if (!parsed.success) throw new NetopsError(ErrorCodes.configInvalid, `${join(this.dir, name)}: not a gateway config version`);
      versions.push(parsed.data);
    }
    this.versions = versions;
    return versions;
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
