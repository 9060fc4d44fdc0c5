import { describe, expect, it } from 'vitest';
import { newAddressWords, type AddressWords } from '../../../electron/engine/firewall/address.ts';
import { lookupV4, lookupV4At, lookupV6Skipping, TriePool, V4_LAYOUT, v6WinnerLayout, WinnerTrieBuilder } from '../../../electron/engine/firewall/prefix-trie.ts';

/** A seeded generator (mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    let t = (a += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Prefix {
  words: AddressWords;
  length: number;
  value: number;
}

function mask(words: AddressWords, length: number): AddressWords {
  const out = newAddressWords();
  for (let w = 0; w < 4; w++) {
    const bits = Math.max(0, Math.min(32, length - 32 * w));
    out[w] = bits === 0 ? 0 : (words[w]! & (bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits))) >>> 0;
  }
  return out;
}

function contains(prefix: Prefix, address: AddressWords): boolean {
  return mask(address, prefix.length).every((word, w) => word === prefix.words[w]);
}

/** The first claimed prefix that holds the address: what a winner trie answers. */
function reference(prefixes: readonly Prefix[], address: AddressWords): number {
  for (const prefix of prefixes) if (contains(prefix, address)) return prefix.value;
  return 0;
}

/** Prefixes the way a busy rule set has them: IPv4 /8-/32, or IPv6 /32-/64 and hosts under 2001::/16. */
function prefixes(random: () => number, count: number, family: 4 | 6, firstValue: number): Prefix[] {
  const word = () => (random() * 2 ** 32) >>> 0;
  const out: Prefix[] = [];
  for (let i = 0; i < count; i++) {
    const words = newAddressWords();
    let length: number;
    if (family === 4) {
      words[0] = word();
      length = 8 + Math.floor(random() * 25);
    } else {
      words.set([(0x20010000 | Math.floor(random() * 0x10000)) >>> 0, word(), word(), word()]);
      length = random() < 0.1 ? 128 : 32 + Math.floor(random() * 33);
    }
    out.push({ words: mask(words, length), length, value: firstValue + i });
  }
  return out;
}

/** Addresses inside the prefixes (and at their edges) and random ones. */
function queries(random: () => number, from: readonly Prefix[], family: 4 | 6, count: number): AddressWords[] {
  const out: AddressWords[] = [];
  for (let i = 0; i < count; i++) {
    const address = newAddressWords();
    for (let w = 0; w < (family === 4 ? 1 : 4); w++) address[w] = (random() * 2 ** 32) >>> 0;
    if (family === 6) address[0] = (0x20010000 | (address[0]! & 0xffff)) >>> 0;
    const inside = from[Math.floor(random() * from.length)]!;
    if (i % 3 !== 0) {
      // Inside `inside`: its network bits, the rest random (all zeros or all ones now and then: its first and last address).
      const edge = i % 7 === 0 ? 0 : i % 7 === 1 ? 0xffffffff : -1;
      for (let w = 0; w < 4; w++) {
        const bits = Math.max(0, Math.min(32, inside.length - 32 * w));
        const keep = bits === 0 ? 0 : bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits);
        const rest = edge === -1 ? address[w]! : edge;
        address[w] = ((inside.words[w]! & keep) | (rest & ~keep)) >>> 0;
      }
    }
    out.push(address);
  }
  return out;
}

/**
 * Three contexts' claim orders: the same shared prefixes, each with some of
 * its own in between, as listeners that admit mostly the same rules.
 */
function contexts(random: () => number, family: 4 | 6): Prefix[][] {
  const shared = prefixes(random, 1500, family, 1);
  return [0, 1, 2].map((c) => {
    const own = prefixes(random, 300, family, 100_000 * (c + 1));
    const order: Prefix[] = [];
    let next = 0;
    for (const prefix of shared) {
      order.push(prefix);
      if (random() < 0.2 && next < own.length) order.push(own[next++]!);
    }
    return order.concat(own.slice(next));
  });
}

function builderFor(order: readonly Prefix[], family: 4 | 6): { builder: WinnerTrieBuilder; layout: ReturnType<typeof v6WinnerLayout> } {
  const layout =
    family === 4
      ? V4_LAYOUT
      : v6WinnerLayout(
          order.map((p) => p.words[0]!),
          order.map((p) => p.length),
          order.length,
        );
  const builder = new WinnerTrieBuilder(layout);
  for (const prefix of order) builder.claim(prefix.words, prefix.length, prefix.value);
  return { builder, layout };
}

describe('TriePool', () => {
  it('stores an equal run of words once, through growth of its array and of its index', () => {
    const pool = new TriePool();
    const random = seeded(7);
    const runs: Int32Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const run = new Int32Array(i % 5 === 0 ? 16 : 2 + 5 * (i % 6));
      for (let k = 0; k < run.length; k++) run[k] = (random() * 2 ** 32) | 0;
      runs.push(run);
    }
    // Runs that differ only in a high bit of one word are different runs.
    const high = new Int32Array(16);
    const highToo = new Int32Array(16);
    highToo[3] = 0x40000000;
    runs.push(high, highToo);
    const at = runs.map((run) => pool.intern(run, run.length));
    const distinctWords = runs.reduce((sum, run) => sum + run.length, 0);
    expect(pool.byteLength).toBe(4 * distinctWords);
    expect(new Set(at).size).toBe(runs.length);
    // Again, and copies of them: the same places, nothing added.
    runs.forEach((run, i) => expect(pool.intern(Int32Array.from(run), run.length)).toBe(at[i]));
    expect(pool.byteLength).toBe(4 * distinctWords);
    runs.forEach((run, i) => expect(Array.from(pool.data.subarray(at[i]!, at[i]! + run.length))).toEqual(Array.from(run)));
  });

  for (const family of [4, 6] as const) {
    it(`holds IPv${family} winner tries of contexts that share most prefixes in less room than apart, each answering as it would alone`, () => {
      const random = seeded(family);
      const orders = contexts(random, family);
      const pool = new TriePool();
      const built = orders.map((order) => {
        const { builder, layout } = builderFor(order, family);
        const alonePool = new TriePool();
        builderFor(order, family).builder.buildInto(alonePool);
        // Each trie goes in after the ones before it, growing the pool: the roots found then must still hold.
        return { order, layout, alone: alonePool.data, aloneBytes: alonePool.byteLength, root: builder.buildInto(pool) };
      });
      const apart = built.reduce((sum, b) => sum + b.aloneBytes, 0);
      expect(pool.byteLength).toBeLessThan(apart * 0.8);

      for (const { order, layout, alone, root } of built) {
        for (const address of queries(random, order, family, 4000)) {
          const want = reference(order, address);
          if (family === 4) {
            expect(lookupV4At(pool.data, root, address[0]! | 0)).toBe(want);
            expect(lookupV4(alone, address[0]! | 0)).toBe(want);
          } else {
            expect(lookupV6Skipping(pool.data, root, address, layout.start, layout.prefix, layout.strides[0]!)).toBe(want);
            expect(lookupV6Skipping(alone, 0, address, layout.start, layout.prefix, layout.strides[0]!)).toBe(want);
          }
        }
      }
    });
  }
});
