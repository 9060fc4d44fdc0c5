/**
 * Rule fields for the compiler, parsed without objects, regexes or bigints.
 * shared/net's parseCidr and parsePortSpec are the definition (the tests hold
 * these to them); at 100,000 rules they were half of a compile, mostly in
 * canonical text nobody reads here and in garbage.
 */
import { FAMILY_NONE, FAMILY_V4, parseAddressInto, type AddressWords } from './address.ts';

/**
 * A prefix (`a.b.c.d/n`, `x::y/n`, or a bare address) into `out`, host bits
 * cleared. Returns family << 8 | length, or -1 when parseCidr would refuse it.
 */
export function parsePrefixInto(text: string, out: AddressWords): number {
  const slash = text.indexOf('/');
  const family = parseAddressInto(slash < 0 ? text : text.slice(0, slash), out);
  if (family === FAMILY_NONE) return -1;
  const max = family === FAMILY_V4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    // Decimal without leading zeros, at most three digits.
    const digits = text.length - slash - 1;
    if (digits < 1 || digits > 3) return -1;
    length = 0;
    for (let i = slash + 1; i < text.length; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9 || (d === 0 && i === slash + 1 && digits > 1)) return -1;
      length = length * 10 + d;
    }
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8 written as IPv6.
    if (family === FAMILY_V4 && text.lastIndexOf(':', slash) >= 0) length -= 96;
    if (length < 0 || length > max) return -1;
  }
  for (let w = 0; w < (family === FAMILY_V4 ? 1 : 4); w++) {
    const bits = length - 32 * w;
    if (bits <= 0) out[w] = 0;
    else if (bits < 32) out[w] = out[w]! & (0xffffffff << (32 - bits));
  }
  if (family === FAMILY_V4) out[1] = out[2] = out[3] = 0;
  return (family << 8) | length;
}

const MAX_PORT_RANGES = 64;

/**
 * A port selector into from-to pairs appended to `out` (none for any port).
 * False when it is not the plain form (digits, '-' and ','): the caller asks
 * parsePortSpec, which knows the rest of the language and the error message.
 */
export function parsePortsInto(text: string, out: number[]): boolean {
  if (text === 'any' || text === '*' || text === '') return true;
  const start = out.length;
  let i = 0;
  const n = text.length;
  while (i <= n) {
    const from = readPort(text, i);
    if (from < 0) return fail(out, start);
    i += portDigits;
    let to = from;
    if (i < n && text.charCodeAt(i) === 45) {
      to = readPort(text, i + 1);
      if (to < from) return fail(out, start);
      i += 1 + portDigits;
    }
    out.push(from, to);
    if (i === n) break;
    if (text.charCodeAt(i) !== 44) return fail(out, start);
    i++;
  }
  if (out.length - start > 2 * MAX_PORT_RANGES) return fail(out, start);
  return true;
}

/** Digits read by the last readPort. */
let portDigits = 0;

/** A port (1-65535, one to five digits) at text[i], or -1. */
function readPort(text: string, i: number): number {
  let value = 0;
  let k = i;
  while (k < text.length && k - i < 6) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    k++;
  }
  portDigits = k - i;
  if (portDigits === 0 || portDigits > 5 || value < 1 || value > 65535) return -1;
  return value;
}

function fail(out: number[], start: number): boolean {
  out.length = start;
  return false;
}
