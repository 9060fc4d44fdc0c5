/**
 * Hashing for sticky balancing: FNV-1a over UTF-16 code units, then
 * murmur3's finalizer. FNV alone spreads short, similar keys (IP addresses
 * differing in the last digit) poorly across the high bits a ring compares
 * on; the finalizer fixes that for two multiplications.
 */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a state after `text[start, end)`, continuing from `state`; not yet mixed. */
export function fnv1a(state: number, text: string, start: number, end: number): number {
  let hash = state;
  for (let i = start; i < end; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash;
}

/** FNV-1a state after the four bytes of `value`, little end first. */
export function fnv1aUint32(state: number, value: number): number {
  let hash = state;
  for (let shift = 0; shift < 32; shift += 8) {
    hash ^= (value >>> shift) & 0xff;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash;
}

/** Hashes `text[start, end)` without taking a substring. */
export function hashRange(text: string, start: number, end: number): number {
  return mix32(fnv1a(FNV_OFFSET, text, start, end));
}

export function hashString(text: string): number {
  return mix32(fnv1a(FNV_OFFSET, text, 0, text.length));
}

/** murmur3's fmix32: every input bit flips about half of the output bits. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
