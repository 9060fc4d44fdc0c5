import type { AddressWords } from './address.ts';

/**
 * A multibit trie over address bits with leaf pushing: every slot holds the
 * answer for its whole range, so a lookup reads one slot per level and stops
 * at the first slot that is not a child pointer. Its cost depends on the
 * address length, never on how many prefixes went in.
 *
 * All nodes of one trie live in one Int32Array, a pool that may hold other
 * tries too (see TriePool): a slot >= 0 is a value, a slot < 0 is a pointer
 * (see compress). Strides: a wide root, read by every
 * lookup and so kept in cache (12 bits for IPv4, 16 KB, which a busy rule set
 * fills with /12 nodes anyway; 8 for IPv6, or 12 below the shared bits for
 * a big winner trie, see v6WinnerLayout), then 4: a node is one cache line,
 * and a subtree of few runs becomes a bucket (see compress). Wider nodes
 * below the root (8 bits down to /16) took one read less but four times the
 * memory: at 100,000 rules a context's IPv4 trie was 240 KB against 66 KB,
 * and with several contexts that pushed lookups out of L2, where a read costs
 * more than the extra level. IPv4 is at most 6 reads, IPv6 at most 31.
 */
export interface TrieLayout {
  readonly bits: 32 | 128;
  /**
   * Bits every prefix in the trie shares, skipped: the root starts below
   * them. `prefix` holds them (see v6WinnerLayout).
   */
  readonly start: number;
  readonly prefix: number;
  /** Per level: first bit, stride, and where to find the bits in the four words. */
  readonly offsets: Int32Array;
  readonly strides: Int32Array;
  readonly words: Int32Array;
  readonly shifts: Int32Array;
  readonly masks: Int32Array;
}

function layout(bits: 32 | 128, root: number, start = 0, prefix = 0): TrieLayout {
  const strideList: number[] = [root];
  while (start + strideList.reduce((a, b) => a + b, 0) < bits) strideList.push(4);
  const levels = strideList.length;
  const offsets = new Int32Array(levels);
  const strides = new Int32Array(levels);
  const words = new Int32Array(levels);
  const shifts = new Int32Array(levels);
  const masks = new Int32Array(levels);
  let offset = start;
  for (let level = 0; level < levels; level++) {
    const stride = strideList[level]!;
    offsets[level] = offset;
    strides[level] = stride;
    words[level] = offset >>> 5;
    shifts[level] = 32 - (offset & 31) - stride;
    masks[level] = (1 << stride) - 1;
    offset += stride;
  }
  return { bits, start, prefix, offsets, strides, words, shifts, masks };
}

export const V4_LAYOUT = layout(32, 12);
export const V6_LAYOUT = layout(128, 8);

/** Past this many prefixes a winner trie's IPv6 root is 12 bits (16 KB), not 8. */
const WIDE_V6_ROOT_PREFIXES = 1024;

/**
 * The layout of a winner trie for these IPv6 prefixes (first words and
 * lengths): it skips the leading bits they all share, in steps of 4, so a
 * rule set that lives in 2001::/16 spends no lookup levels on "2001". With
 * the 8-bit root of V6_LAYOUT such a lookup read four cache lines before
 * reaching a bit that differs between rules. Every address outside the
 * shared bits has no winner (value 0), since no prefix reaches it.
 */
export function v6WinnerLayout(firstWords: ArrayLike<number>, lengths: ArrayLike<number>, count: number): TrieLayout {
  const root = count > WIDE_V6_ROOT_PREFIXES ? 12 : 8;
  if (count === 0) return layout(128, root);
  let shortest = 128;
  let differ = 0;
  const first = firstWords[0]!;
  for (let i = 0; i < count; i++) {
    if (lengths[i]! < shortest) shortest = lengths[i]!;
    differ |= firstWords[i]! ^ first;
  }
  // The root's bits come from the first word too, so at most 32 - root bits are skipped.
  const shared = Math.min(shortest, Math.clz32(differ), 32 - root);
  const start = shared & ~3;
  return layout(128, root, start, start === 0 ? 0 : first >>> (32 - start));
}

/** Builds a trie. Prefixes must come in order of non-decreasing length, so no update meets a child node. */
export class TrieBuilder {
  private slots: Int32Array;
  private used: number;
  private lastLength = 1;

  constructor(
    private readonly layout: TrieLayout,
    rootValue: number,
  ) {
    this.used = 1 << layout.strides[0]!;
    this.slots = new Int32Array(2 * this.used);
    this.slots.fill(rootValue, 0, this.used);
  }

  /**
   * Replaces the value of every slot the prefix covers with update(old). The
   * caller memoizes update, so a prefix spanning many slots of one value costs
   * one computation.
   */
  update(address: AddressWords, length: number, update: (old: number) => number): void {
    if (length < this.lastLength) throw new Error(`prefixes out of order: /${length} after /${this.lastLength}`);
    if (length < 1 || length > this.layout.bits) throw new Error(`bad prefix length ${length}`);
    this.lastLength = length;
    const { offsets, strides, words, shifts, masks } = this.layout;
    let base = 0;
    for (let level = 0; ; level++) {
      const index = (address[words[level]!]! >>> shifts[level]!) & masks[level]!;
      const end = offsets[level]! + strides[level]!;
      if (length <= end) {
        const span = 1 << (end - length);
        const first = base + (index & ~(span - 1));
        let lastOld = -1;
        let lastNew = -1;
        for (let slot = first; slot < first + span; slot++) {
          const old = this.slots[slot]!;
          if (old < 0) throw new Error('a shorter prefix met a child node');
          if (old !== lastOld) {
            lastOld = old;
            lastNew = update(old);
          }
          this.slots[slot] = lastNew;
        }
        return;
      }
      const value = this.slots[base + index]!;
      if (value >= 0) {
        const child = this.allocate(strides[level + 1]!, value);
        this.slots[base + index] = ~child;
        base = child;
      } else {
        base = ~value;
      }
    }
  }

  private allocate(stride: number, fill: number): number {
    const size = 1 << stride;
    if (this.used + size > this.slots.length) {
      const grown = new Int32Array(Math.max(this.slots.length * 2, this.used + size));
      grown.set(this.slots.subarray(0, this.used));
      this.slots = grown;
    }
    const at = this.used;
    this.slots.fill(fill, at, at + size);
    this.used += size;
    return at;
  }

  /** The finished trie: sparse subtrees become buckets (see compress). */
  build(): Int32Array {
    return compressAlone(this.slots, this.layout);
  }
}

/**
 * Builds a trie whose values are winners: prefixes come best first (in rule
 * priority order), and each claims only the slots no better prefix holds.
 * Value 0 is "no winner". A prefix that falls wholly inside a range a better
 * one already holds adds nothing, not even a node, which is what keeps the
 * trie of one context (protocol, listener, port) small: under a busy /8, most
 * longer prefixes lose to some /8 rule of better priority.
 */
export class WinnerTrieBuilder {
  private slots: Int32Array;
  private used: number;

  constructor(private readonly layout: TrieLayout) {
    this.used = 1 << layout.strides[0]!;
    this.slots = new Int32Array(2 * this.used);
  }

  /** Gives `value` (> 0) to every slot of the prefix that no earlier prefix holds. Length 0 is the whole family. */
  claim(address: AddressWords, length: number, value: number): void {
    const { offsets, strides, words, shifts, masks } = this.layout;
    let base = 0;
    for (let level = 0; ; level++) {
      const index = (address[words[level]!]! >>> shifts[level]!) & masks[level]!;
      const end = offsets[level]! + strides[level]!;
      if (length <= end) {
        const span = 1 << (end - length);
        const first = base + (index & ~(span - 1));
        for (let slot = first; slot < first + span; slot++) {
          const old = this.slots[slot]!;
          if (old === 0) this.slots[slot] = value;
          else if (old < 0) this.fillEmpty(~old, level + 1, value);
        }
        return;
      }
      const old = this.slots[base + index]!;
      // A better prefix holds all of this one.
      if (old > 0) return;
      if (old === 0) {
        const child = this.allocate(strides[level + 1]!);
        this.slots[base + index] = ~child;
        base = child;
      } else {
        base = ~old;
      }
    }
  }

  private fillEmpty(base: number, level: number, value: number): void {
    const size = 1 << this.layout.strides[level]!;
    for (let slot = base; slot < base + size; slot++) {
      const old = this.slots[slot]!;
      if (old === 0) this.slots[slot] = value;
      else if (old < 0) this.fillEmpty(~old, level + 1, value);
    }
  }

  private allocate(stride: number): number {
    const size = 1 << stride;
    if (this.used + size > this.slots.length) {
      const grown = new Int32Array(Math.max(this.slots.length * 2, this.used + size));
      grown.set(this.slots.subarray(0, this.used));
      this.slots = grown;
    }
    const at = this.used;
    this.used += size;
    return at;
  }

  /** The finished trie in a pool (see TriePool); returns where its root is. A pool of its own puts it at 0. */
  buildInto(pool: TriePool): number {
    return compress(this.slots, this.layout, pool);
  }
}

/**
 * Sparse subtrees cost a dependent memory read per level: a lone /30 under a
 * busy /8 sits six levels down, an IPv6 /64 fifteen. A subtree whose
 * addresses fall into at most a few runs of equal value is stored instead as
 * a bucket, the runs' start addresses in order, searched in one or two cache
 * lines. Slots then point either to a node, ~(base << 1), or to a bucket,
 * ~(base << 1 | 1):
 *
 *   IPv4 bucket: [runs, value0, start1, value1, start2, value2, ...]
 *   IPv6 bucket: [runs, value0, start1 (4 words), value1, ...]
 *
 * Starts are stored with the sign bit flipped, so signed comparison orders
 * them as unsigned.
 */
const MAX_RUNS_V4 = 8;
const MAX_RUNS_V6 = 6;
const SIGN = 0x80000000;

/**
 * Nodes and buckets in one Int32Array, each distinct run of words stored
 * once. Winner tries of several contexts go into one pool (see
 * CompiledRuleSet.winnerTable): listeners that admit mostly the same rules
 * have mostly the same subtrees, and a lookup on any of them then reads the
 * same cache lines. At 100,000 rules (the bench's rule set) six listeners'
 * tries took 1,027 KB apart and take 558 KB pooled, and decide() ran about
 * 5% faster (median of 13 alternating pairs, 11 of them faster). Sharing is sound because a node or bucket is
 * read the same way wherever it hangs: the walk takes its index bits from
 * its own depth, and a bucket holds whole addresses. Roots are not shared.
 */
export class TriePool {
  data = new Int32Array(4096);
  used = 0;
  /** Open addressing over stored runs: offset + 1, 0 for free; sizes alongside. */
  private offsets = new Int32Array(1024);
  private sizes = new Int32Array(1024);
  private count = 0;

  /** Room for a root, filled later with fill(). */
  reserve(size: number): number {
    const at = this.room(size);
    this.used += size;
    return at;
  }

  fill(at: number, words: Int32Array, size: number): void {
    this.data.set(words.subarray(0, size), at);
  }

  /** Where words[0, size) is stored: an equal run stored before, or a new one. */
  intern(words: Int32Array, size: number): number {
    const mask = this.offsets.length - 1;
    for (let slot = hashRun(words, 0, size) & mask; ; slot = (slot + 1) & mask) {
      const stored = this.offsets[slot]! - 1;
      if (stored < 0) {
        const at = this.reserve(size);
        const data = this.data;
        for (let i = 0; i < size; i++) data[at + i] = words[i]!;
        this.offsets[slot] = at + 1;
        this.sizes[slot] = size;
        // At most half full, so probe runs stay short.
        if (++this.count * 2 > this.offsets.length) this.rehash();
        return at;
      }
      if (this.sizes[slot] === size && sameRun(this.data, stored, words, size)) return stored;
    }
  }

  /** Bytes in use. */
  get byteLength(): number {
    return this.used * 4;
  }

  private room(size: number): number {
    if (this.used + size > this.data.length) {
      const grown = new Int32Array(Math.max(this.data.length * 2, this.used + size));
      grown.set(this.data.subarray(0, this.used));
      this.data = grown;
    }
    return this.used;
  }

  private rehash(): void {
    const offsets = new Int32Array(this.offsets.length * 2);
    const sizes = new Int32Array(offsets.length);
    const mask = offsets.length - 1;
    for (let old = 0; old < this.offsets.length; old++) {
      const at = this.offsets[old]! - 1;
      if (at < 0) continue;
      const size = this.sizes[old]!;
      let slot = hashRun(this.data, at, size) & mask;
      while (offsets[slot] !== 0) slot = (slot + 1) & mask;
      offsets[slot] = at + 1;
      sizes[slot] = size;
    }
    this.offsets = offsets;
    this.sizes = sizes;
  }
}

/** A hash of words[at, at + size); each step folds high bits down, as bucket starts differ in their high bits. */
function hashRun(words: Int32Array, at: number, size: number): number {
  let hash = Math.imul(size, 0x9e3779b1);
  for (let i = 0; i < size; i++) {
    hash = Math.imul(hash ^ words[at + i]!, 0x85ebca6b);
    hash ^= hash >>> 13;
  }
  return hash >>> 0;
}

function sameRun(data: Int32Array, at: number, words: Int32Array, size: number): boolean {
  for (let i = 0; i < size; i++) if (data[at + i] !== words[i]) return false;
  return true;
}

/**
 * Writes the trie in `raw` (a root at 0, children anywhere, pointers ~base)
 * into the pool, children first so that each can be interned, and returns
 * where its root is.
 */
function compress(raw: Int32Array, layout: TrieLayout, pool: TriePool): number {
  const v6 = layout.bits === 128;
  const maxRuns = v6 ? MAX_RUNS_V6 : MAX_RUNS_V4;
  // The width of one slot at each level, as a number (IPv4) or a bigint (IPv6).
  const widths = Array.from(layout.strides, (stride, level) => {
    const bits = layout.bits - layout.offsets[level]! - stride;
    return v6 ? 1n << BigInt(bits) : 2 ** bits;
  });
  const startOf = (nodeStart: number | bigint, level: number, slot: number): number | bigint =>
    v6 ? (nodeStart as bigint) + BigInt(slot) * (widths[level] as bigint) : (nodeStart as number) + slot * (widths[level] as number);
  // Runs of the subtree being looked at: start addresses and values, reused between subtrees.
  const runStarts: Array<number | bigint> = [];
  const runValues: number[] = [];
  // A node's words are gathered here while its children are written; one array per level, as the walk nests.
  const scratch = Array.from(layout.strides, (stride) => new Int32Array(1 << stride));
  const bucketWords = new Int32Array(2 + 5 * (maxRuns - 1));

  /** Appends the runs of a subtree; false past maxRuns. */
  const runsOf = (base: number, level: number, nodeStart: number | bigint): boolean => {
    const size = 1 << layout.strides[level]!;
    for (let slot = 0; slot < size; slot++) {
      const value = raw[base + slot]!;
      if (value < 0) {
        if (!runsOf(~value, level + 1, startOf(nodeStart, level, slot))) return false;
      } else if (runValues.length === 0 || runValues[runValues.length - 1] !== value) {
        if (runValues.length === maxRuns) return false;
        runStarts.push(startOf(nodeStart, level, slot));
        runValues.push(value);
      }
    }
    return true;
  };

  const emitBucket = (): number => {
    const runs = runValues.length;
    const width = v6 ? 5 : 2;
    const data = bucketWords;
    data[0] = runs;
    data[1] = runValues[0]!;
    for (let i = 1; i < runs; i++) {
      const e = 2 + width * (i - 1);
      const start = runStarts[i]!;
      if (v6) {
        const big = start as bigint;
        for (let w = 0; w < 4; w++) data[e + w] = Number((big >> BigInt(96 - 32 * w)) & 0xffffffffn) ^ SIGN;
        data[e + 4] = runValues[i]!;
      } else {
        data[e] = (start as number) ^ SIGN;
        data[e + 1] = runValues[i]!;
      }
    }
    return pool.intern(data, 2 + width * (runs - 1));
  };

  /** The node's words, its children written first. */
  const nodeWords = (base: number, level: number, nodeStart: number | bigint): Int32Array => {
    const size = 1 << layout.strides[level]!;
    const words = scratch[level]!;
    for (let slot = 0; slot < size; slot++) {
      const value = raw[base + slot]!;
      if (value >= 0) {
        words[slot] = value;
        continue;
      }
      const childStart = startOf(nodeStart, level, slot);
      runStarts.length = 0;
      runValues.length = 0;
      if (!runsOf(~value, level + 1, childStart)) {
        words[slot] = ~(pool.intern(nodeWords(~value, level + 1, childStart), 1 << layout.strides[level + 1]!) << 1);
      } else if (runValues.length === 1) {
        // One value all through: the slot holds it, and the lookup stops here.
        words[slot] = runValues[0]!;
      } else {
        words[slot] = ~((emitBucket() << 1) | 1);
      }
    }
    return words;
  };

  const rootSize = 1 << layout.strides[0]!;
  const root = pool.reserve(rootSize);
  pool.fill(root, nodeWords(0, 0, v6 ? BigInt(layout.prefix) << BigInt(128 - layout.start) : layout.prefix * 2 ** (32 - layout.start)), rootSize);
  return root;
}

/** A trie alone: its own pool, root at 0. */
function compressAlone(raw: Int32Array, layout: TrieLayout): Int32Array {
  const pool = new TriePool();
  compress(raw, layout, pool);
  return pool.data.slice(0, pool.used);
}

/** Below the root every level is 4 bits (see layout), so a lookup steps its bit offset instead of reading per-level tables. */
const V4_ROOT_BITS = V4_LAYOUT.strides[0]!;

/**
 * The value for an IPv4 address, passed as a signed 32-bit int (`x | 0`):
 * a small integer crosses the call as is, where an unsigned one above 2^31
 * would be boxed into a fresh heap number on every decision.
 */
export function lookupV4(slots: Int32Array, address: number): number {
  return lookupV4At(slots, 0, address);
}

/** lookupV4 in a pool of tries (see TriePool), from the root at `root`. */
export function lookupV4At(slots: Int32Array, root: number, address: number): number {
  let v = slots[root + (address >>> (32 - V4_ROOT_BITS))]!;
  for (let shift = 28 - V4_ROOT_BITS; v < 0; shift -= 4) {
    const pointer = ~v;
    if ((pointer & 1) !== 0) return bucketV4(slots, pointer >>> 1, address);
    v = slots[(pointer >>> 1) + ((address >>> shift) & 15)]!;
  }
  return v;
}

function bucketV4(slots: Int32Array, at: number, address: number): number {
  const runs = slots[at]!;
  let v = slots[at + 1]!;
  const key = address ^ SIGN;
  for (let i = 1, e = at + 2; i < runs; i++, e += 2) {
    if (key < slots[e]!) break;
    v = slots[e + 1]!;
  }
  return v;
}

const V6_ROOT_BITS = V6_LAYOUT.strides[0]!;

export function lookupV6(slots: Int32Array, address: AddressWords): number {
  return walkV6(slots, address, slots[address[0]! >>> (32 - V6_ROOT_BITS)]!, V6_ROOT_BITS);
}

/**
 * A lookup in a trie built with a layout from v6WinnerLayout: `start`,
 * `prefix` and `rootBits` are its start, prefix and root stride, `root`
 * where its root is in the pool.
 */
export function lookupV6Skipping(slots: Int32Array, root: number, address: AddressWords, start: number, prefix: number, rootBits: number): number {
  const first = address[0]!;
  if (start !== 0 && first >>> (32 - start) !== prefix) return 0;
  return walkV6(slots, address, slots[root + ((first << start) >>> (32 - rootBits))]!, start + rootBits);
}

/** From a root slot's value down: every level below the root is 4 bits. */
function walkV6(slots: Int32Array, address: AddressWords, rootValue: number, rootEnd: number): number {
  let v = rootValue;
  for (let offset = rootEnd; v < 0; offset += 4) {
    const pointer = ~v;
    if ((pointer & 1) !== 0) return bucketV6(slots, pointer >>> 1, address);
    v = slots[(pointer >>> 1) + ((address[offset >>> 5]! >>> (28 - (offset & 31))) & 15)]!;
  }
  return v;
}

function bucketV6(slots: Int32Array, at: number, address: AddressWords): number {
  const runs = slots[at]!;
  let v = slots[at + 1]!;
  const k0 = address[0]! ^ SIGN;
  const k1 = address[1]! ^ SIGN;
  const k2 = address[2]! ^ SIGN;
  const k3 = address[3]! ^ SIGN;
  for (let i = 1, e = at + 2; i < runs; i++, e += 5) {
    const s0 = slots[e]!;
    if (k0 < s0) break;
    if (k0 === s0) {
      const s1 = slots[e + 1]!;
      if (k1 < s1) break;
      if (k1 === s1) {
        const s2 = slots[e + 2]!;
        if (k2 < s2) break;
        if (k2 === s2 && k3 < slots[e + 3]!) break;
      }
    }
    v = slots[e + 4]!;
  }
  return v;
}
