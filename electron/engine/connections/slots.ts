/**
 * Collections for what comes and goes with every connection, kept in plain
 * arrays instead of Map, Set or WeakMap.
 *
 * Why: with a connection per request, the gateway worker's young collections
 * kept nearly every recent connection's objects alive, 2.5-4 MB a scavenge
 * (a bare Node server under the same load: about 40 KB), and each one
 * stopped the worker for 8-35 ms, most of a p99 of 25-40 ms. Taking the Maps
 * and Sets a connection passes through out of the path, one at a time, took
 * the survivors to about 10 KB and the pauses to 0.7 ms; the host's tracker
 * and mirror did the same on the main thread (340 KB to 74 KB, 3.5 ms to
 * 0.7). What we believe happens: a V8 hash table that fills with deleted
 * entries is rebuilt into a new one, and the old one keeps its entries and a
 * pointer to its successor; once a table has been promoted, the chain of its
 * successors and what they hold outlive the next scavenge. An array
 * overwrites a removed item's place, and is reallocated only when it
 * outgrows its largest size so far. Figures in test/bench/README.md
 * ("Session 13").
 */

/** An item of a SlotList: it keeps its own place in the list (-1 when in none). */
export interface Slotted {
  slot: number;
}

/** A set of objects in a dense array: each item knows its index, and a removal moves the last item into the hole. */
export class SlotList<T extends Slotted> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    if (item.slot >= 0) return;
    item.slot = this.items.length;
    this.items.push(item);
  }

  delete(item: T): boolean {
    const slot = item.slot;
    if (slot < 0 || this.items[slot] !== item) return false;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[slot] = last;
      last.slot = slot;
    }
    item.slot = -1;
    return true;
  }

  /** Calls `fn` for every item; `fn` must not add or delete (iterate `toArray()` for that). */
  forEach(fn: (item: T) => void): void {
    for (const item of this.items) fn(item);
  }

  /** The items now, in a copy of their own. */
  toArray(): T[] {
    return this.items.slice();
  }

  /** The first item `predicate` accepts; `predicate` must not add or delete. */
  find(predicate: (item: T) => boolean): T | undefined {
    for (const item of this.items) if (predicate(item)) return item;
    return undefined;
  }
}

/** The place in a SlotTable that `id` names (a table's ids are unique; their places are reused). */
export function slotOf(id: number): number {
  return id % SLOTS;
}

/** Places in a SlotTable; an id is a place plus a count of the ids handed out, so an old id never finds a new value. */
export const SLOTS = 2 ** 21;

/**
 * Ids a SlotTable hands out before its count starts again at 1. Without the
 * wrap, ids would pass 2^53 (and the worker protocol's integer check) after
 * 2^32 of them: five days at 10,000 connections a second. With it they stay
 * safe integers (at most 2^52 + 2^21 - 1), and an old id could find a new
 * value only if it were held while 2^31 more were handed out.
 */
export const ID_ROUNDS = 2 ** 31;

/** Values under numeric ids it hands out, in arrays indexed by the id's place. */
export class SlotTable<T> {
  private readonly values: Array<T | undefined> = [];
  private readonly ids: number[] = [];
  private readonly free: number[] = [];
  private issued = 0;
  private count = 0;

  /** `rounds`: see ID_ROUNDS (smaller only in tests). */
  constructor(private readonly rounds = ID_ROUNDS) {}

  get size(): number {
    return this.count;
  }

  /** Stores `value` and returns its id (a positive safe integer). */
  add(value: T): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.values.length;
    if (slot >= SLOTS) throw new Error(`more than ${SLOTS} entries`);
    this.issued = this.issued >= this.rounds ? 1 : this.issued + 1;
    const id = this.issued * SLOTS + slot;
    this.values[slot] = value;
    this.ids[slot] = id;
    this.count++;
    return id;
  }

  get(id: number): T | undefined {
    const slot = slotOf(id);
    return this.ids[slot] === id ? this.values[slot] : undefined;
  }

  /** Removes and returns the value under `id`, if it is there. */
  take(id: number): T | undefined {
    const slot = slotOf(id);
    if (this.ids[slot] !== id) return undefined;
    const value = this.values[slot];
    this.values[slot] = undefined;
    this.ids[slot] = 0;
    this.free.push(slot);
    this.count--;
    return value;
  }

  /** Calls `fn` for every entry, in place order; `fn` must not add or remove. */
  forEach(fn: (value: T, id: number) => void): void {
    for (let slot = 0; slot < this.values.length; slot++) {
      const value = this.values[slot];
      if (value !== undefined) fn(value, this.ids[slot]!);
    }
  }

  /** Removes every entry and returns their values. */
  drain(): T[] {
    const out: T[] = [];
    for (let slot = 0; slot < this.values.length; slot++) {
      const value = this.values[slot];
      if (value !== undefined) out.push(value);
    }
    this.values.length = 0;
    this.ids.length = 0;
    this.free.length = 0;
    this.count = 0;
    return out;
  }
}
