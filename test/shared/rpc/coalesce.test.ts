import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamCoalescer } from '../../../shared/rpc/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

type Row = { id: string; v: number };
type Frame = { type: 'snapshot'; rows: Row[] } | { type: 'delta'; upsert: Row[]; remove: string[]; patch?: Array<Partial<Row> & { id: string }> };

describe('StreamCoalescer', () => {
  it('sends at most one frame per interval, the newest, in latest mode', () => {
    vi.useFakeTimers();
    const sent: unknown[] = [];
    const coalescer = new StreamCoalescer('latest', { send: (f) => sent.push(f), isCongested: () => false }, 100);
    for (let i = 0; i < 1000; i++) {
      coalescer.push({ n: i });
      vi.advanceTimersByTime(1);
    }
    // 1000 ms of pushes at 1 kHz: about ten frames, never more than one per 100 ms
    expect(sent.length).toBeGreaterThanOrEqual(9);
    expect(sent.length).toBeLessThanOrEqual(11);
    vi.advanceTimersByTime(200);
    expect(sent.at(-1)).toEqual({ n: 999 });
    coalescer.dispose();
  });

  it('holds frames back while the peer is congested and then sends only the newest state', () => {
    vi.useFakeTimers();
    let congested = false;
    const sent: Frame[] = [];
    const coalescer = new StreamCoalescer('table', { send: (f) => sent.push(f as Frame), isCongested: () => congested }, 100);
    coalescer.push({ type: 'snapshot', rows: [{ id: 'a', v: 0 }, { id: 'b', v: 0 }] });
    vi.advanceTimersByTime(0);
    expect(sent).toEqual([{ type: 'snapshot', rows: [{ id: 'a', v: 0 }, { id: 'b', v: 0 }] }]);

    congested = true;
    for (let i = 1; i <= 10_000; i++) {
      coalescer.push({ type: 'delta', upsert: [{ id: 'a', v: i }, { id: `tmp${i}`, v: i }], remove: [] });
      coalescer.push({ type: 'delta', upsert: [], remove: [`tmp${i}`] });
      if (i % 100 === 0) vi.advanceTimersByTime(10);
    }
    coalescer.push({ type: 'delta', upsert: [], remove: ['b'] });
    vi.advanceTimersByTime(5_000);
    expect(sent).toHaveLength(1);

    congested = false;
    vi.advanceTimersByTime(100);
    // 20,001 source frames while congested become one frame: the newest row, and the removal the peer must see
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({ type: 'delta', upsert: [{ id: 'a', v: 10_000 }], remove: ['b'] });
    coalescer.dispose();
  });

  it('replaces pending deltas with a later snapshot', () => {
    vi.useFakeTimers();
    const sent: Frame[] = [];
    const coalescer = new StreamCoalescer('table', { send: (f) => sent.push(f as Frame), isCongested: () => false }, 100);
    coalescer.push({ type: 'snapshot', rows: [{ id: 'a', v: 1 }] });
    vi.advanceTimersByTime(0);
    coalescer.push({ type: 'delta', upsert: [{ id: 'x', v: 1 }], remove: ['a'] });
    coalescer.push({ type: 'snapshot', rows: [{ id: 'c', v: 3 }] });
    coalescer.push({ type: 'delta', upsert: [], remove: ['c'] });
    coalescer.push({ type: 'delta', upsert: [{ id: 'd', v: 4 }], remove: [] });
    vi.advanceTimersByTime(100);
    expect(sent[1]).toEqual({ type: 'snapshot', rows: [{ id: 'd', v: 4 }] });
    coalescer.dispose();
  });

  it('merges field patches per row, folds them into pending rows, and drops them for rows the peer never had', () => {
    vi.useFakeTimers();
    const sent: Frame[] = [];
    type Wide = Row & { w: number };
    const coalescer = new StreamCoalescer('table', { send: (f) => sent.push(f as Frame), isCongested: () => false }, 100);
    coalescer.push({ type: 'snapshot', rows: [{ id: 'a', v: 0, w: 0 }, { id: 'b', v: 0, w: 0 }] as Wide[] });
    vi.advanceTimersByTime(0);
    coalescer.push({ type: 'delta', upsert: [], remove: [], patch: [{ id: 'a', v: 1 }] });
    coalescer.push({ type: 'delta', upsert: [], remove: [], patch: [{ id: 'a', w: 2 }, { id: 'b', v: 5 }, { id: 'ghost', v: 9 }] });
    coalescer.push({ type: 'delta', upsert: [{ id: 'c', v: 1, w: 1 } as Wide], remove: ['b'], patch: [{ id: 'c', v: 7 }, { id: 'b', v: 6 }] });
    vi.advanceTimersByTime(100);
    // one frame: a's two patches merged, c's patch folded into its new row, b's patch gone with b, ghost dropped
    expect(sent[1]).toEqual({ type: 'delta', upsert: [{ id: 'c', v: 7, w: 1 }], remove: ['b'], patch: [{ id: 'a', v: 1, w: 2 }] });
    coalescer.dispose();
  });

  it('sends nothing after dispose', () => {
    vi.useFakeTimers();
    const sent: unknown[] = [];
    const coalescer = new StreamCoalescer('latest', { send: (f) => sent.push(f), isCongested: () => false }, 100);
    coalescer.push({ n: 1 });
    coalescer.dispose();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
  });
});
