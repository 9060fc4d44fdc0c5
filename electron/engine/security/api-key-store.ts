import { Buffer } from 'node:buffer';
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { Emitter, type Disposable, type Event } from '../../../shared/lifecycle.ts';
import { ensureDataDir, readFileIfExists, writeFileAtomic } from '../store/index.ts';

export const API_KEYS_FILE = 'api-keys.json';

/** What the gateway's apiKey middleware needs: the id of an active key, or undefined. */
export interface ApiKeyVerifier {
  verify(presentedKey: string): string | undefined;
}

/** A key as listed: never the secret, only a prefix to tell keys apart. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  /** The first characters of the key (`nok_Ab3x9Q`), enough to recognise it, far too few to guess the rest. */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface CreatedApiKey {
  id: string;
  /** The secret. Shown once: only its hash is kept. */
  key: string;
  info: ApiKeyInfo;
}

/** An active key as the data plane needs it: enough to verify, nothing to present. */
export interface ActiveKeyHash {
  id: string;
  /** sha256 of the key, hex. */
  hash: string;
}

export interface ApiKeyStoreOptions {
  dataDir: string;
  now?: () => number;
}

/** A recognisable prefix lets secret scanners (and people) tell a leaked key for what it is. */
const KEY_PREFIX = 'nok_';
const SECRET_BYTES = 32;
/** nok_ and 32 bytes in base64url without padding. */
const KEY_LENGTH = KEY_PREFIX.length + 43;
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 6;
const MAX_NAME_LENGTH = 100;

const storedKey = z
  .object({
    id: z.string().regex(/^key_[0-9a-f]{12}$/),
    name: z.string().min(1).max(MAX_NAME_LENGTH),
    prefix: z.string().max(32),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    createdAt: z.number(),
    revokedAt: z.number().nullable(),
  })
  .strict();

const storedFile = z.object({ version: z.literal(1), keys: z.array(storedKey) }).strict();

type StoredKey = z.infer<typeof storedKey>;

interface ActiveKey {
  id: string;
  hashBytes: Buffer;
}

/**
 * API keys for the gateway, kept as api-keys.json (0600) in the data dir.
 *
 * Only sha256(key) is stored. A fast unsalted hash is the accepted practice
 * for high-entropy random tokens (GitHub and Stripe store API tokens this
 * way): with 256 random bits there is nothing for a dictionary or a slow KDF
 * to protect, and verify() runs on every request.
 */
export class ApiKeyStore implements ApiKeyVerifier, Disposable {
  private readonly keys: StoredKey[];
  private readonly changeEmitter = new Emitter<void>();
  /** A key was created or revoked: the host sends activeHashes() to the data-plane workers. */
  readonly onDidChange: Event<void> = this.changeEmitter.event;
  /** Active keys by hex hash, so verify() is one hash and one lookup. */
  private readonly active = new Map<string, ActiveKey>();
  private saving: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  static async open(options: ApiKeyStoreOptions): Promise<ApiKeyStore> {
    await ensureDataDir(options.dataDir);
    const file = join(options.dataDir, API_KEYS_FILE);
    const text = await readFileIfExists(file);
    return new ApiKeyStore(file, text === undefined ? [] : parseFile(text, file), options.now ?? Date.now);
  }

  private constructor(
    private readonly file: string,
    keys: StoredKey[],
    now: () => number,
  ) {
    this.keys = keys;
    this.now = now;
    for (const key of keys) if (key.revokedAt === null) this.activate(key);
  }

  /** Creates a key and saves the store; the returned secret is not kept anywhere. */
  async create(input: { name: string }): Promise<CreatedApiKey> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new NetopsError(ErrorCodes.invalidArgument, `an API key name must be 1-${MAX_NAME_LENGTH} characters`);
    }
    const key = KEY_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
    const stored: StoredKey = {
      id: `key_${randomBytes(6).toString('hex')}`,
      name,
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      hash: hash('sha256', key, 'hex'),
      createdAt: this.now(),
      revokedAt: null,
    };
    this.keys.push(stored);
    this.activate(stored);
    this.changeEmitter.fire();
    await this.save();
    return { id: stored.id, key, info: toInfo(stored) };
  }

  /** Every key, revoked ones included (they stay listed for the record), without secrets. */
  list(): ApiKeyInfo[] {
    return this.keys.map(toInfo);
  }

  /** Revokes a key at once: verify() refuses it from this call on, before the file is written. */
  async revoke(id: string): Promise<ApiKeyInfo> {
    const stored = this.keys.find((key) => key.id === id);
    if (!stored) throw new NetopsError(ErrorCodes.notFound, `no API key with id ${id}`);
    if (stored.revokedAt === null) {
      stored.revokedAt = this.now();
      this.active.delete(stored.hash);
      this.changeEmitter.fire();
      await this.save();
    }
    return toInfo(stored);
  }

  /** The active keys' ids and hashes (no secrets), for data-plane workers that check keys themselves. */
  activeHashes(): ActiveKeyHash[] {
    return [...this.active.entries()].map(([hash, entry]) => ({ id: entry.id, hash }));
  }

  verify(presentedKey: string): string | undefined {
    // The format is public, so refusing a malformed key early leaks nothing.
    if (presentedKey.length !== KEY_LENGTH || !presentedKey.startsWith(KEY_PREFIX)) return undefined;
    const digest = hash('sha256', presentedKey, 'buffer');
    const entry = this.active.get(digest.toString('hex'));
    // The Map found the entry by hash; comparing the bytes again in constant time keeps the final
    // decision free of an early-exit comparison on secret-derived data.
    if (entry === undefined || !timingSafeEqual(entry.hashBytes, digest)) return undefined;
    return entry.id;
  }

  /** Waits for writes in progress. */
  async flush(): Promise<void> {
    await this.saving;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }

  private activate(key: StoredKey): void {
    this.active.set(key.hash, { id: key.id, hashBytes: Buffer.from(key.hash, 'hex') });
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ version: 1, keys: this.keys }, null, 2)}\n`;
    const write = this.saving.then(() => writeFileAtomic(this.file, text, { mode: 0o600 }));
    this.saving = write.catch(() => undefined);
    return write.catch((error: unknown) => {
      throw new NetopsError(ErrorCodes.unavailable, `cannot write ${this.file}: ${(error as Error).message}`, { cause: error });
    });
  }
}

function toInfo(key: StoredKey): ApiKeyInfo {
  return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt, revokedAt: key.revokedAt };
}

function parseFile(text: string, file: string): StoredKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NetopsError(ErrorCodes.configInvalid, `${file}: not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = storedFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new NetopsError(ErrorCodes.configInvalid, `${file}: ${problems}`);
  }
  return parsed.data.keys;
}
