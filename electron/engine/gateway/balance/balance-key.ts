import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import type { BalanceKeySource, HeaderList } from '../types.ts';
import { hashRange, hashString } from './hash.ts';

export const KEY_IP = 0;
export const KEY_HEADER = 1;
export const KEY_COOKIE = 2;

/** What a hash balancer keys on, from a service's `hashOn`. */
export interface BalanceKey {
  readonly kind: typeof KEY_IP | typeof KEY_HEADER | typeof KEY_COOKIE;
  /** A header name lower-cased (HeaderList names are), or a cookie name as written (cookie names are case-sensitive). */
  readonly name: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]{1,100}$/i;

export function parseBalanceKey(hashOn: string): BalanceKey {
  if (hashOn === 'ip') return { kind: KEY_IP, name: '' };
  const colon = hashOn.indexOf(':');
  // The config schema takes the prefix in any case.
  const prefix = colon < 0 ? '' : hashOn.slice(0, colon).toLowerCase();
  const name = colon < 0 ? '' : hashOn.slice(colon + 1);
  if ((prefix === 'header' || prefix === 'cookie') && TOKEN.test(name)) {
    return prefix === 'header' ? { kind: KEY_HEADER, name: name.toLowerCase() } : { kind: KEY_COOKIE, name };
  }
  throw new NetopsError(ErrorCodes.invalidArgument, `hashOn must be "ip", "header:<name>" or "cookie:<name>", got ${JSON.stringify(hashOn)}`);
}

/** The request's key hashed; the client IP when the header or cookie is missing or empty. */
export function hashBalanceKey(key: BalanceKey, source: BalanceKeySource): number {
  if (key.kind === KEY_HEADER) {
    const value = source.headers.get(key.name);
    if (value !== undefined && value.length > 0) return hashString(value);
  } else if (key.kind === KEY_COOKIE) {
    const hash = hashCookie(source.headers, key.name);
    if (hash >= 0) return hash;
  }
  return hashString(source.clientIp);
}

/**
 * The hash of one cookie's value, read in place from every Cookie header
 * (HTTP/2 clients split cookies over several); -1 when absent or empty.
 */
function hashCookie(headers: HeaderList, name: string): number {
  const names = headers.names;
  for (let h = 0; h < names.length; h++) {
    if (names[h] !== 'cookie') continue;
    const header = headers.values[h]!;
    const start = cookieValueStart(header, name);
    if (start >= 0 && cookieValueEnd > start) return hashRange(header, start, cookieValueEnd);
  }
  return -1;
}

// The end of the value cookieValueStart found; a module slot rather than a returned pair, to allocate nothing.
let cookieValueEnd = 0;

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/** Where `name`'s value starts in a Cookie header ("a=1; name=value; b=2"), or -1; sets cookieValueEnd. */
function cookieValueStart(header: string, name: string): number {
  const length = header.length;
  const nameLength = name.length;
  let i = 0;
  while (i < length) {
    while (i < length && isBlank(header.charCodeAt(i))) i++;
    let matched = 0;
    while (matched < nameLength && i + matched < length && header.charCodeAt(i + matched) === name.charCodeAt(matched)) matched++;
    if (matched === nameLength) {
      let at = i + matched;
      while (at < length && isBlank(header.charCodeAt(at))) at++;
      if (at < length && header.charCodeAt(at) === 61) {
        let valueStart = at + 1;
        let valueEnd = header.indexOf(';', valueStart);
        if (valueEnd < 0) valueEnd = length;
        while (valueStart < valueEnd && isBlank(header.charCodeAt(valueStart))) valueStart++;
        while (valueEnd > valueStart && isBlank(header.charCodeAt(valueEnd - 1))) valueEnd--;
        cookieValueEnd = valueEnd;
        return valueStart;
      }
    }
    const separator = header.indexOf(';', i);
    if (separator < 0) return -1;
    i = separator + 1;
  }
  return -1;
}
