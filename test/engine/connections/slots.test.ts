import { describe, expect, it } from 'vitest';
import { ID_ROUNDS, SlotList, SLOTS, SlotTable } from '../../../electron/engine/connections/index.ts';
import { mulberry32 } from '../../helpers/random.ts';

describe('SlotList', () => {
  const item = (name: string) => ({ name, slot: -1 });

  it('adds once, deletes by moving the last item into the hole, and keeps every place right', () => {
    const list = new SlotList<ReturnType<typeof item>>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    for (const each of [a, b, c, a]) list.add(each);
    expect(list.size).toBe(3);
    expect(list.delete(a)).toBe(true);
    expect(list.delete(a)).toBe(false);
    expect(a.slot).toBe(-1);
    expect(c.slot).toBe(0);
    const seen: string[] = [];
    list.forEach((each) => seen.push(each.name));
    expect(seen).toEqual(['c', 'b']);
  });

  it('gives a copy to iterate while deleting what it visits', () => {
    const list = new SlotList<ReturnType<typeof item>>();
    const items = ['a', 'b', 'c', 'd'].map(item);
    for (const each of items) list.add(each);
    const seen: string[] = [];
    for (const each of list.toArray()) {
      seen.push(each.name);
      list.delete(each);
    }
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(list.size).toBe(0);
  });

  it('matches a Set over random adds and deletes', () => {
    const random = mulberry32(7);
    const list = new SlotList<ReturnType<typeof item>>();
    const reference = new Set<ReturnType<typeof item>>();
    const pool = Array.from({ length: 50 }, (_, index) => item(String(index)));
    for (let step = 0; step < 5_000; step++) {
      const chosen = pool[Math.floor(random() * pool.length)]!;
      if (random() < 0.5) {
        list.add(chosen);
        reference.add(chosen);
      } else {
        expect(list.delete(chosen)).toBe(reference.delete(chosen));
      }
      expect(list.size).toBe(reference.size);
    }
    const seen = new Set<ReturnType<typeof item>>();
    list.forEach((each) => seen.add(each));
    expect(seen).toEqual(reference);
  });
});

describe('SlotTable', () => {
  it('hands out ids that find their value until taken, and never find a later value in the same place', () => {
    const table = new SlotTable<string>();
    const first = table.add('first');
    expect(table.get(first)).toBe('first');
    expect(table.take(first)).toBe('first');
    expect(table.take(first)).toBeUndefined();
    const second = table.add('second');
    // The place is reused; the old id is not.
    expect(second % 2 ** 21).toBe(first % 2 ** 21);
    expect(second).not.toBe(first);
    expect(table.get(first)).toBeUndefined();
    expect(table.get(second)).toBe('second');
    expect(Number.isSafeInteger(second) && second > 0).toBe(true);
  });

  it('starts its count again after its rounds, so ids stay safe integers however many are handed out', () => {
    const table = new SlotTable<number>(3);
    const ids: number[] = [];
    for (let n = 0; n < 7; n++) {
      const id = table.add(n);
      ids.push(id);
      expect(table.get(id)).toBe(n);
      expect(table.take(id)).toBe(n);
    }
    // One place, counts 1, 2, 3, then 1 again: the id repeats only after `rounds` others.
    expect(ids.map((id) => Math.floor(id / SLOTS))).toEqual([1, 2, 3, 1, 2, 3, 1]);
    expect(Math.max(...ids)).toBe(3 * SLOTS);
    // The largest id the default can make: the last count at the last place.
    expect(Number.isSafeInteger(ID_ROUNDS * SLOTS + SLOTS - 1)).toBe(true);
  });

  it('visits every entry with its id, and drains them all', () => {
    const table = new SlotTable<string>();
    const ids = ['a', 'b', 'c'].map((value) => table.add(value));
    table.take(ids[1]!);
    const seen: Array<[string, number]> = [];
    table.forEach((value, id) => seen.push([value, id]));
    expect(seen).toEqual([
      ['a', ids[0]],
      ['c', ids[2]],
    ]);
    expect(table.size).toBe(2);
    expect(table.drain().sort()).toEqual(['a', 'c']);
    expect(table.size).toBe(0);
    expect(table.get(ids[0]!)).toBeUndefined();
  });

  it('matches a Map over random adds and takes', () => {
    const random = mulberry32(11);
    const table = new SlotTable<number>();
    const reference = new Map<number, number>();
    const taken: number[] = [];
    for (let step = 0; step < 5_000; step++) {
      if (reference.size === 0 || random() < 0.55) {
        const id = table.add(step);
        expect(reference.has(id)).toBe(false);
        reference.set(id, step);
      } else {
        const ids = [...reference.keys()];
        const id = ids[Math.floor(random() * ids.length)]!;
        expect(table.take(id)).toBe(reference.get(id));
        reference.delete(id);
        taken.push(id);
      }
      expect(table.size).toBe(reference.size);
    }
    for (const id of taken.slice(-100)) expect(table.get(id)).toBeUndefined();
    for (const [id, value] of reference) expect(table.get(id)).toBe(value);
  });
});
