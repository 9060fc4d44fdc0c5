import { TOKEN_LOWER } from './chars.ts';

/**
 * Common header names, interned: the parser hashes a name while it checks
 * its bytes, and a hit hands back this constant string, so the usual
 * headers cost no string allocation and no toLowerCase. The first six are
 * the ones whose values the parsers read; their index is their id.
 */
export const HEADER_HOST = 0;
export const HEADER_CONTENT_LENGTH = 1;
export const HEADER_TRANSFER_ENCODING = 2;
export const HEADER_CONNECTION = 3;
export const HEADER_UPGRADE = 4;
export const HEADER_EXPECT = 5;
/** Any name the parsers do not interpret. */
export const HEADER_OTHER = 6;

export const KNOWN_HEADER_NAMES: readonly string[] = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'expect',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'access-control-max-age',
  'access-control-request-headers',
  'access-control-request-method',
  'age',
  'alt-svc',
  'authorization',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-range',
  'content-type',
  'cookie',
  'date',
  'dnt',
  'etag',
  'expires',
  'forwarded',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'keep-alive',
  'last-modified',
  'link',
  'location',
  'origin',
  'pragma',
  'priority',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'referer',
  'retry-after',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'sec-websocket-accept',
  'sec-websocket-extensions',
  'sec-websocket-key',
  'sec-websocket-protocol',
  'sec-websocket-version',
  'server',
  'set-cookie',
  'strict-transport-security',
  'te',
  'trailer',
  'upgrade-insecure-requests',
  'user-agent',
  'vary',
  'via',
  'www-authenticate',
  'x-api-key',
  'x-content-type-options',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-frame-options',
  'x-real-ip',
  'x-request-id',
  'x-requested-with',
];

const TABLE_BITS = 10;
const TABLE_MASK = (1 << TABLE_BITS) - 1;

/** The running hash the parser keeps over a name's lower-cased bytes: h = h * 33 + byte, in 32 bits. */
export function nextNameHash(hash: number, lowerByte: number): number {
  return ((hash << 5) + hash + lowerByte) | 0;
}

function slotOf(hash: number): number {
  return (hash ^ (hash >>> TABLE_BITS)) & TABLE_MASK;
}

/** Slot -> index + 1 into KNOWN_HEADER_NAMES; 0 is empty. A name whose slot is taken is simply not interned. */
const table = new Uint8Array(1 << TABLE_BITS);
const nameBytes: Uint8Array[] = [];
for (let index = 0; index < KNOWN_HEADER_NAMES.length; index++) {
  const name = KNOWN_HEADER_NAMES[index]!;
  const bytes = new Uint8Array(name.length);
  let hash = 0;
  for (let i = 0; i < name.length; i++) {
    bytes[i] = name.charCodeAt(i);
    hash = nextNameHash(hash, bytes[i]!);
  }
  nameBytes.push(bytes);
  const slot = slotOf(hash);
  if (table[slot] === 0) table[slot] = index + 1;
}

/**
 * The index of the known name buffer[start, end) spells (any case), given
 * the hash of its lower-cased bytes; -1 when it is not a known name.
 */
export function lookupHeaderName(buffer: Buffer, start: number, end: number, hash: number): number {
  const entry = table[slotOf(hash)]!;
  if (entry === 0) return -1;
  const bytes = nameBytes[entry - 1]!;
  if (bytes.length !== end - start) return -1;
  for (let i = 0; i < bytes.length; i++) {
    if (TOKEN_LOWER[buffer[start + i]!] !== bytes[i]) return -1;
  }
  return entry - 1;
}
