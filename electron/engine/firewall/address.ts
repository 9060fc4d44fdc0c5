/**
 * Address parsing for the hot path. shared/net parses into objects and
 * bigints, which is right for validation and wrong for millions of decisions
 * a second; this parses the same language (the tests hold it to parseIp) into
 * a reused scratch array without allocating.
 *
 * An address is four 32-bit words, most significant first. IPv4 (and
 * IPv4-mapped IPv6, folded as parseIp does) uses word 0 only.
 */
import { Buffer } from 'node:buffer';
import { formatIPv6 } from '../../../shared/net/index.ts';

export const FAMILY_NONE = 0;
export const FAMILY_V4 = 4;
export const FAMILY_V6 = 6;
export type AddressFamily = typeof FAMILY_NONE | typeof FAMILY_V4 | typeof FAMILY_V6;

export type AddressWords = Uint32Array;

export function newAddressWords(): AddressWords {
  return new Uint32Array(4);
}

const groups = new Uint32Array(8);
/** parseV4's result: returned through memory, since an unsigned 32-bit return value would be boxed. */
const v4Value = new Uint32Array(1);

/** Parses `text` into `out`; returns its family, or FAMILY_NONE when it is not an address. */
export function parseAddressInto(text: string, out: AddressWords): AddressFamily {
  const length = text.length;
  // How a dual-stack socket reports an IPv4 client, ::ffff:a.b.c.d, goes straight to the IPv4 parser.
  if (parseV4(text, 0, length) || (length > 13 && isMappedPrefix(text) && parseV4(text, 7, length))) {
    out[0] = v4Value[0]!;
    return FAMILY_V4;
  }
  if (!parseV6Groups(text)) return FAMILY_NONE;
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    out[0] = ((groups[6]! << 16) | groups[7]!) >>> 0;
    return FAMILY_V4;
  }
  out[0] = ((groups[0]! << 16) | groups[1]!) >>> 0;
  out[1] = ((groups[2]! << 16) | groups[3]!) >>> 0;
  out[2] = ((groups[4]! << 16) | groups[5]!) >>> 0;
  out[3] = ((groups[6]! << 16) | groups[7]!) >>> 0;
  return FAMILY_V6;
}

/** Word `index` of an IPv6 address with all but its first `prefix` bits cleared. */
function maskedWord(words: AddressWords, index: number, prefix: number): number {
  const bits = prefix - 32 * index;
  if (bits <= 0) return 0;
  if (bits >= 32) return words[index]!;
  return (words[index]! & (0xffffffff << (32 - bits))) >>> 0;
}

/** One text for every IPv6 address in the same /prefix network (a key, not for people: see v6PrefixCidr). */
export function v6PrefixKey(words: AddressWords, prefix: number): string {
  const a = maskedWord(words, 0, prefix).toString(16);
  if (prefix <= 32) return a;
  const b = maskedWord(words, 1, prefix).toString(16);
  if (prefix <= 64) return `${a}:${b}`;
  return `${a}:${b}:${maskedWord(words, 2, prefix).toString(16)}:${maskedWord(words, 3, prefix).toString(16)}`;
}

/** The /prefix network holding an IPv6 address, as canonical CIDR text (2001:db8:1:2::/64). */
export function v6PrefixCidr(words: AddressWords, prefix: number): string {
  let value = 0n;
  for (let index = 0; index < 4; index++) value = (value << 32n) | BigInt(maskedWord(words, index, prefix));
  return `${formatIPv6(value)}/${prefix}`;
}

/** 127.0.0.0/8 (an IPv4-mapped one included, as parsing folds it) or ::1. */
export function isLoopback(family: AddressFamily, words: AddressWords): boolean {
  if (family === FAMILY_V4) return words[0]! >>> 24 === 127;
  return family === FAMILY_V6 && words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 1;
}

function isMappedPrefix(text: string): boolean {
  return (
    text.charCodeAt(0) === 58 &&
    text.charCodeAt(1) === 58 &&
    (text.charCodeAt(2) | 0x20) === 102 &&
    (text.charCodeAt(3) | 0x20) === 102 &&
    (text.charCodeAt(4) | 0x20) === 102 &&
    (text.charCodeAt(5) | 0x20) === 102 &&
    text.charCodeAt(6) === 58
  );
}

/**
 * Dotted quad in text[start, end) into v4Value. Leading zeros are refused (010 reads as octal elsewhere).
 * Octet by octet, each digit read in its place: fewer branches a character
 * than a loop over characters, and reading the characters is most of the cost.
 */
function parseV4(text: string, start: number, end: number): boolean {
  if (end - start > 15 || end - start < 7) return false;
  let i = start;
  let value = 0;
  for (let part = 0; part < 4; part++) {
    if (i >= end) return false;
    let digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    let octet = digit;
    i++;
    // A leading 0 is the whole octet; anything after it but a dot fails below.
    if (octet !== 0 && i < end) {
      digit = text.charCodeAt(i) - 48;
      if (digit >= 0 && digit <= 9) {
        octet = octet * 10 + digit;
        i++;
        if (i < end) {
          digit = text.charCodeAt(i) - 48;
          if (digit >= 0 && digit <= 9) {
            octet = octet * 10 + digit;
            i++;
            if (octet > 255) return false;
          }
        }
      }
    }
    value = value * 256 + octet;
    if (part < 3) {
      if (i >= end || text.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  if (i !== end) return false;
  v4Value[0] = value;
  return true;
}

/**
 * Character classes for the IPv6 parser: 0-15 a hex digit's value, then the
 * separators. Indexed by a UTF-8 byte, so anything outside ASCII is INVALID.
 */
const COLON = 16;
const DOT = 17;
const PERCENT = 18;
const INVALID = 19;
/** Not a character: the text (or the 46 characters worth reading) ran out. */
const END = 20;
const CLASS = new Uint8Array(256).fill(INVALID);
for (let c = 0; c < 10; c++) CLASS[48 + c] = c;
for (let c = 0; c < 6; c++) {
  CLASS[65 + c] = 10 + c;
  CLASS[97 + c] = 10 + c;
}
CLASS[58] = COLON;
CLASS[46] = DOT;
CLASS[37] = PERCENT;

/**
 * The IPv6 parser reads the text's UTF-8 bytes: one copy into this buffer
 * and a loop over bytes cost less than reading 39 characters with
 * charCodeAt (130 -> 110 ns a fresh address; for a dotted quad the copy
 * costs more than it saves). The bytes equal the characters up to the first
 * one outside ASCII, and that one reads as INVALID, so the answer is the
 * same. Texts up to V6_TEXT_MAX characters are copied whole: they need at
 * most 3 bytes a character.
 */
const V6_TEXT_MAX = 64;
const textBytes = Buffer.alloc(3 * V6_TEXT_MAX);

/**
 * IPv6 text into `groups`, with the rules of shared/net parseIPv6: a zone
 * (%eth0) is ignored, at most 45 characters before it, `::` stands for one
 * or more zero groups, an IPv4 tail only after the last colon. A group at a
 * time: the inner loop runs over hex digits and only a separator leaves it,
 * which keeps branches predictable on random hex.
 */
function parseV6Groups(text: string): boolean {
  if (text.length > V6_TEXT_MAX) {
    // Only a zone makes text this long an address; what comes after the '%' is never read.
    const zone = text.indexOf('%');
    return zone >= 0 && zone <= 45 && parseV6Groups(text.slice(0, zone));
  }
  const bytes = textBytes;
  const written = bytes.write(text, 0, 'utf8');
  // Nothing valid is longer than 45 characters before its zone; reading 46 is enough to tell.
  const n = written > 46 ? 46 : written;
  let i = 0;
  let count = 0;
  let gap = -1;
  let afterGap = false;
  if (n >= 2 && bytes[0] === 58) {
    if (bytes[1] !== 58) return false;
    gap = 0;
    afterGap = true;
    i = 2;
  }
  for (;;) {
    const start = i;
    let value = 0;
    let k = END;
    while (i < n) {
      k = CLASS[bytes[i]!]!;
      if (k > 15) break;
      value = (value << 4) | k;
      i++;
    }
    if (i === n) k = END;
    if (k === DOT) {
      // An IPv4 tail: from the start of this group to the zone or the end, two groups. All before it was ASCII, so byte and character offsets agree.
      let tailEnd = text.indexOf('%', i);
      if (tailEnd < 0) tailEnd = text.length;
      if (tailEnd > 45 || count > 6 || !parseV4(text, start, tailEnd)) return false;
      groups[count++] = v4Value[0]! >>> 16;
      groups[count++] = v4Value[0]! & 0xffff;
      return fillGap(count, gap);
    }
    const digits = i - start;
    if (digits > 4) return false;
    if (digits > 0) {
      if (count === 8) return false;
      groups[count++] = value;
      afterGap = false;
    } else if (!afterGap || k === COLON) {
      // An empty group is only the end of a '::', at the end of the text or before the zone.
      return false;
    }
    if (k === COLON) {
      i++;
      if (i < n && bytes[i] === 58) {
        if (gap >= 0) return false;
        gap = count;
        afterGap = true;
        i++;
      } else if (i >= n) {
        return false;
      }
      continue;
    }
    if (k === END) return n <= 45 && fillGap(count, gap);
    if (k === PERCENT) return fillGap(count, gap);
    return false;
  }
}

function fillGap(count: number, gap: number): boolean {
  if (gap < 0) return count === 8;
  if (count > 7) return false;
  const missing = 8 - count;
  for (let k = count - 1; k >= gap; k--) groups[k + missing] = groups[k]!;
  for (let k = gap; k < gap + missing; k++) groups[k] = 0;
  return true;
}
