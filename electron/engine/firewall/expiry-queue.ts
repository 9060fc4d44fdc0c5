/**
 * A min-heap of (time, item), for the one timer that fires at the next
 * expiry. Items are not removed when they change; the owner checks an item
 * against its current state when it surfaces (lazy deletion) and compacts
 * when stale items pile up.
 */
export class ExpiryQueue<T> {
  private times: number[] = [];
  private items: T[] = [];

  get size(): number {
    return this.times.length;
  }

  peekTime(): number | undefined {
    return this.times[0];
  }

  peekItem(): T | undefined {
    return this.items[0];
  }

  push(at: number, item: T): void {
    let i = this.times.length;
    this.times.push(at);
    this.items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent]! <= at) break;
      this.times[i] = this.times[parent]!;
      this.items[i] = this.items[parent]!;
      i = parent;
    }
    this.times[i] = at;
    this.items[i] = item;
  }

  pop(): void {
    const lastTime = this.times.pop()!;
    const lastItem = this.items.pop()!;
    const n = this.times.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.times[child + 1]! < this.times[child]!) child++;
      if (this.times[child]! >= lastTime) break;
      this.times[i] = this.times[child]!;
      this.items[i] = this.items[child]!;
      i = child;
    }
    this.times[i] = lastTime;
    this.items[i] = lastItem;
  }

  /** Keeps only the entries that are still live. */
  compact(live: (at: number, item: T) => boolean): void {
    const entries: Array<[number, T]> = [];
    for (let i = 0; i < this.times.length; i++) if (live(this.times[i]!, this.items[i]!)) entries.push([this.times[i]!, this.items[i]!]);
    this.times = [];
    this.items = [];
    for (const [at, item] of entries) this.push(at, item);
  }

  clear(): void {
    this.times = [];
    this.items = [];
  }
}
