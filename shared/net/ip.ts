/**
 * IP addresses and CIDR prefixes as numbers, shared by the engine (matching)
 * and the renderer (validation as you type). IPv4 is a 32-bit number; IPv6 a
 * 128-bit bigint. IPv4-mapped IPv6 (::ffff:a.b.c.d) is folded to IPv4, so one
 * rule for 10.0.0.0/8 covers both spellings of a client address.
 */
export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  /** IPv4: 0..2^32-1 as a number; IPv6: a bigint. */
  value: number | bigint;
}

export interface ParsedCidr {
  family: IpFamily;
  /** The network address (host bits cleared). */
  network: number | bigint;
  prefix: number;
  /** Canonical text: 10.0.0.0/8, 2001:db8::/32. */
  text: string;
}

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!V4_PART.test(part)) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function parseIPv6(input: string): bigint | undefined {
  let text = input;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.length === 0 || text.length > 45) return undefined;
  let tailV4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (halves.length === 2 ? groups < 1 : head.length !== 8) return undefined;
  const all = [...head, ...Array<string>(groups).fill('0'), ...tail];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | BigInt(tailV4);
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** Parses an address; IPv4-mapped IPv6 comes back as IPv4. */
export function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn && (v6 & ~0xffffffffn) === MAPPED_PREFIX) return { family: 4, value: Number(v6 & 0xffffffffn) };
  return { family: 6, value: v6 };
}

/** 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z, which parseIp folds to IPv4). */
export function isLoopbackIp(ip: ParsedIp): boolean {
  return ip.family === 4 ? (ip.value as number) >>> 24 === 127 : ip.value === 1n;
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatIp(ip: ParsedIp): string {
  return ip.family === 4 ? formatIPv4(ip.value as number) : formatIPv6(ip.value as bigint);
}

/** Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a host prefix: /32 or /128). */
export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const ip = parseIp(address);
  if (!ip) return undefined;
  const mappedV6 = ip.family === 4 && address.includes(':');
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    // Decimal without leading zeros, as for addresses: /08 is refused rather than guessed at.
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8 written as IPv6.
    if (mappedV6) prefix -= 96;
    if (prefix < 0 || prefix > max) return undefined;
  }
  if (ip.family === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const network = ((ip.value as number) & mask) >>> 0;
    return { family: 4, network, prefix, text: `${formatIPv4(network)}/${prefix}` };
  }
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  const network = (ip.value as bigint) & mask;
  return { family: 6, network, prefix, text: `${formatIPv6(network)}/${prefix}` };
}

/** A prefix length as an operator types it in a form, "64" or "/64", up to `max`; undefined otherwise. */
export function parsePrefixLength(text: string, max: number): number | undefined {
  const digits = text.trim().replace(/^\//, '');
  if (!/^\d{1,3}$/.test(digits)) return undefined;
  const prefix = Number(digits);
  return prefix <= max ? prefix : undefined;
}

export function cidrContains(cidr: ParsedCidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  if (cidr.family === 4) {
    const mask = cidr.prefix === 0 ? 0 : (0xffffffff << (32 - cidr.prefix)) >>> 0;
    return (((ip.value as number) & mask) >>> 0) === cidr.network;
  }
  const shift = BigInt(128 - cidr.prefix);
  return (ip.value as bigint) >> shift === (cidr.network as bigint) >> shift;
}
