/**
 * Collections for what comes and goes with every connection, kept in plain
 * arrays instead of Map, Set or WeakMap.
 *
 * Why: with a connection per request, the worker's young collections kept
 * nearly every connection's objects alive, 2.5-4 MB a scavenge (against
 * about 40 KB for a bare Node server under the same load), and each
 * scavenge stopped the worker 8-35 ms: most of the one-core p99 of 25-40 ms.
 * Turning off, one at a time, each Map and Set a connection passed through
 * took the survivors to about 10 KB and the pauses to 0.7 ms. A V8 hash
 * table that fills with deleted entries is rebuilt into a new one, and the
 * old one keeps its entries and a pointer to its successor; once a table has
 * been promoted, the chain of its successors and everything in them outlive
 * the next scavenge. An array overwrites a removed item's place, and is only
 * reallocated when it outgrows its largest size so far. Measured in
 * test/bench/README.md ("Session 13").
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

  /** Calls `fn` for the items there now (a copy: `fn` may add or delete). */
  forEach(fn: (item: T) => void): void {
    for (const item of this.items.slice()) fn(item);
  }
}

/** Places in a SlotTable; an id is a place plus a count of the ids handed out, so an old id never finds a new value. */
const SLOTS = 2 ** 21;

/** Values under numeric ids it hands out, in arrays indexed by the id's place. */
export class SlotTable<T> {
  private readonly values: Array<T | undefined> = [];
  private readonly ids: number[] = [];
  private readonly free: number[] = [];
  private issued = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Stores `value` and returns its id (a positive safe integer). */
  add(value: T): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.values.length;
    if (slot >= SLOTS) throw new Error(`more than ${SLOTS} entries`);
    this.issued++;
    const id = this.issued * SLOTS + slot;
    this.values[slot] = value;
    this.ids[slot] = id;
    this.count++;
    return id;
  }

  get(id: number): T | undefined {
    const slot = id % SLOTS;
    return this.ids[slot] === id ? this.values[slot] : undefined;
  }

  /** Removes and returns the value under `id`, if it is there. */
  take(id: number): T | undefined {
    const slot = id % SLOTS;
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
