/**
 * Byte classes of RFC 9110/9112 as 256-entry tables, so every check in the
 * parsers is one indexed load instead of a chain of comparisons or a regex.
 */

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HTAB = 9;
export const COLON = 58;
export const SEMICOLON = 59;
export const COMMA = 44;
export const QUESTION = 63;
export const SLASH = 47;
export const HASH = 35;

/** tchar: the byte lower-cased for token characters, 0 for everything else (names compare case-insensitively through it). */
export const TOKEN_LOWER = new Uint8Array(256);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TOKEN_LOWER[char.charCodeAt(0)] = char.charCodeAt(0);
for (let c = 65; c <= 90; c++) TOKEN_LOWER[c] = c + 32;

/** field-vchar plus SP and HTAB: what a field value, reason phrase or chunk extension may hold (obs-text included). */
export const FIELD_CHAR = new Uint8Array(256);
FIELD_CHAR[HTAB] = 1;
for (let c = 0x20; c <= 0x7e; c++) FIELD_CHAR[c] = 1;
for (let c = 0x80; c <= 0xff; c++) FIELD_CHAR[c] = 1;

/**
 * request-target bytes: visible ASCII, and bytes >= 0x80 so that raw UTF-8
 * paths from sloppy clients survive byte for byte (heads are latin1 strings
 * end to end). '#' is left out: a fragment never belongs in a request.
 */
export const TARGET_CHAR = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET_CHAR[c] = 1;
for (let c = 0x80; c <= 0xff; c++) TARGET_CHAR[c] = 1;
TARGET_CHAR[HASH] = 0;

/** Hex digit values plus one (0 means not a hex digit). */
export const HEX_VALUE = new Uint8Array(256);
for (let c = 0; c < 10; c++) HEX_VALUE[48 + c] = c + 1;
for (let c = 0; c < 6; c++) {
  HEX_VALUE[65 + c] = c + 11;
  HEX_VALUE[97 + c] = c + 11;
}

/** Bytes of a reg-name or IPv4 host, lower-cased; 0 for anything else (the port and IP literals are parsed apart). */
export const HOST_LOWER = new Uint8Array(256);
for (const char of "abcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=") HOST_LOWER[char.charCodeAt(0)] = char.charCodeAt(0);
for (let c = 65; c <= 90; c++) HOST_LOWER[c] = c + 32;

/** Lower-cases one ASCII letter, leaves every other byte. */
export const ASCII_LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) ASCII_LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c;

interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
}

/**
 * Bytes as a one-byte string. Heads are bytes, not UTF-8; Buffer's own
 * latin1Slice skips toString's encoding dispatch, and it is typed here
 * because @types/node leaves it out.
 */
export function latin1(buffer: Buffer, start: number, end: number): string {
  return (buffer as unknown as Latin1Buffer).latin1Slice(start, end);
}
