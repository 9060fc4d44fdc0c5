import { describe, expect, it } from 'vitest';
import { applyTableFrame, type ConnectionRow, type TableFrame } from '../../../shared/contract/index.ts';
import {
  compareIds,
  computeConnectionsView,
  createConnectionsViewSelector,
  updateConnectionsView,
  type ConnectionsQuery,
  type ConnectionsViewInput,
} from '../../../renderer/store/connections-view.ts';

const KINDS = ['tcp', 'tls', 'http', 'ws', 'udp'] as const;
const STATES = ['connecting', 'open', 'closing', 'closed'] as const;

function makeRow(i: number, patch: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    id: `c${i}`,
    kind: KINDS[i % KINDS.length] ?? 'tcp',
    direction: i % 3 === 0 ? 'out' : 'in',
    state: STATES[i % STATES.length] ?? 'open',
    localAddress: '127.0.0.1',
    localPort: 7000 + (i % 10),
    remoteAddress: `10.0.${i % 256}.${(i * 7) % 256}`,
    remotePort: 40000 + (i % 20000),
    bytesIn: (i * 7919) % 100_000,
    bytesOut: (i * 104729) % 1_000_000,
    createdAt: 1_000_000 - i * 13,
    lastActivityAt: 2_000_000 - ((i * 31) % 5000),
    owner: i % 2 ? 'echo' : 'proxy',
    ...patch,
  };
}

function mapOf(rows: ConnectionRow[]): Map<string, ConnectionRow> {
  return new Map(rows.map((r) => [r.id, r]));
}

const baseQuery: ConnectionsQuery = {
  sortKey: 'id',
  sortDirection: 'asc',
  filterText: '',
  kindFilter: 'all',
  directionFilter: 'all',
  stateFilter: 'all',
};

const ids = (rows: readonly ConnectionRow[]) => rows.map((r) => r.id);

describe('compareIds', () => {
  it('orders digit runs by value', () => {
    expect(['c10', 'c9', 'c1', 'c100', 'c2'].sort(compareIds)).toEqual(['c1', 'c2', 'c9', 'c10', 'c100']);
  });

  it('orders text before numbers the way code units do and prefixes first', () => {
    expect(['b', 'a2', 'a10', 'a', 'ab'].sort(compareIds)).toEqual(['a', 'a2', 'a10', 'ab', 'b']);
  });

  it('is antisymmetric and reflexive', () => {
    const samples = ['c1', 'c10', 'c2x', 'x', 'x1', 'x01', '', '9', '10'];
    for (const a of samples) {
      expect(compareIds(a, a)).toBe(0);
      for (const b of samples) expect(Math.sign(compareIds(a, b)) + Math.sign(compareIds(b, a))).toBe(0);
    }
  });
});

describe('computeConnectionsView', () => {
  const rows = mapOf(Array.from({ length: 30 }, (_, i) => makeRow(i)));

  it('sorts by id naturally by default', () => {
    const view = computeConnectionsView(rows, baseQuery);
    expect(view.total).toBe(30);
    expect(ids(view.rows).slice(0, 12)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11']);
  });

  it('reverses for descending', () => {
    const view = computeConnectionsView(rows, { ...baseQuery, sortDirection: 'desc' });
    expect(view.rows[0]?.id).toBe('c29');
  });

  it('sorts by a numeric column with id as the tie breaker, in both directions', () => {
    const tied = mapOf([makeRow(3, { bytesIn: 5 }), makeRow(1, { bytesIn: 5 }), makeRow(2, { bytesIn: 9 }), makeRow(10, { bytesIn: 5 })]);
    expect(ids(computeConnectionsView(tied, { ...baseQuery, sortKey: 'bytesIn' }).rows)).toEqual(['c1', 'c3', 'c10', 'c2']);
    expect(ids(computeConnectionsView(tied, { ...baseQuery, sortKey: 'bytesIn', sortDirection: 'desc' }).rows)).toEqual([
      'c2',
      'c1',
      'c3',
      'c10',
    ]);
  });

  it('sorts age ascending as youngest first', () => {
    const aged = mapOf([makeRow(1, { createdAt: 100 }), makeRow(2, { createdAt: 300 }), makeRow(3, { createdAt: 200 })]);
    expect(ids(computeConnectionsView(aged, { ...baseQuery, sortKey: 'age' }).rows)).toEqual(['c2', 'c3', 'c1']);
  });

  it('sorts endpoints by address then port', () => {
    const endpoints = mapOf([
      makeRow(1, { remoteAddress: '10.0.0.2', remotePort: 1 }),
      makeRow(2, { remoteAddress: '10.0.0.1', remotePort: 9 }),
      makeRow(3, { remoteAddress: '10.0.0.1', remotePort: 80 }),
    ]);
    expect(ids(computeConnectionsView(endpoints, { ...baseQuery, sortKey: 'remote' }).rows)).toEqual(['c2', 'c3', 'c1']);
  });

  it('sorts addresses by the value of each part, not as text', () => {
    const peers = mapOf([
      makeRow(1, { remoteAddress: '127.0.0.10', localAddress: '10.0.10.1' }),
      makeRow(2, { remoteAddress: '127.0.0.2', localAddress: '10.0.9.1' }),
      makeRow(3, { remoteAddress: '127.0.0.1', localAddress: '10.0.100.1' }),
    ]);
    expect(ids(computeConnectionsView(peers, { ...baseQuery, sortKey: 'remote' }).rows)).toEqual(['c3', 'c2', 'c1']);
    expect(ids(computeConnectionsView(peers, { ...baseQuery, sortKey: 'local' }).rows)).toEqual(['c2', 'c1', 'c3']);
  });

  it('applies dropdown filters and the search text together', () => {
    const view = computeConnectionsView(rows, { ...baseQuery, kindFilter: 'tcp', filterText: 'owner:echo' });
    expect(view.rows.every((r) => r.kind === 'tcp' && r.owner === 'echo')).toBe(true);
    expect(ids(view.rows)).toEqual(['c5', 'c15', 'c25']);
    expect(view.total).toBe(30);
  });

  it('filters by direction and state', () => {
    const view = computeConnectionsView(rows, { ...baseQuery, directionFilter: 'out', stateFilter: 'open' });
    expect(view.rows.length).toBeGreaterThan(0);
    expect(view.rows.every((r) => r.direction === 'out' && r.state === 'open')).toBe(true);
  });

  it('sorts and filters 10,000 rows, each query giving rows in its order that pass its filters', () => {
    // How long this takes is measured by test/bench/micro/connections-view.ts, not here.
    const big = mapOf(Array.from({ length: 10_000 }, (_, i) => makeRow(i)));
    const queries: ConnectionsQuery[] = [
      { ...baseQuery, sortKey: 'bytesIn', sortDirection: 'desc' },
      { ...baseQuery, sortKey: 'remote' },
      { ...baseQuery, sortKey: 'id' },
      { ...baseQuery, sortKey: 'owner', filterText: 'echo 10.0' },
    ];
    const [byBytes, byRemote, byId, echoOwners] = queries.map((query) => computeConnectionsView(big, query).rows);
    expect(byBytes).toHaveLength(10_000);
    for (let i = 1; i < byBytes!.length; i++) expect(byBytes![i - 1]!.bytesIn).toBeGreaterThanOrEqual(byBytes![i]!.bytesIn);
    for (let i = 1; i < byRemote!.length; i++) expect(compareIds(byRemote![i - 1]!.remoteAddress, byRemote![i]!.remoteAddress)).toBeLessThanOrEqual(0);
    expect(ids(byId!).slice(0, 3)).toEqual(['c0', 'c1', 'c2']);
    // Every address starts 10.0, so the second term keeps all the echo rows.
    expect(echoOwners).toHaveLength(5_000);
    expect(echoOwners!.every((row) => row.owner === 'echo')).toBe(true);
  });
});

describe('createConnectionsViewSelector', () => {
  const rows = mapOf(Array.from({ length: 5 }, (_, i) => makeRow(i)));
  const input = (patch: Partial<ConnectionsViewInput> = {}): ConnectionsViewInput => ({ rows, ...baseQuery, ...patch });

  it('returns the same view while the map and the query are unchanged', () => {
    const select = createConnectionsViewSelector();
    const first = select(input());
    expect(select(input())).toBe(first);
  });

  it('recomputes when the map is replaced', () => {
    const select = createConnectionsViewSelector();
    const first = select(input());
    const next = new Map(rows);
    next.set('c9', makeRow(9));
    const second = select(input({ rows: next }));
    expect(second).not.toBe(first);
    expect(second.rows).toHaveLength(6);
  });

  it('recomputes when any query field changes', () => {
    const select = createConnectionsViewSelector();
    let previous = select(input());
    for (const patch of [
      { sortKey: 'bytesIn' as const },
      { sortDirection: 'desc' as const },
      { filterText: 'echo' },
      { kindFilter: 'tcp' as const },
      { directionFilter: 'in' as const },
      { stateFilter: 'open' as const },
    ]) {
      const next = select(input(patch));
      expect(next).not.toBe(previous);
      previous = next;
    }
  });
});

/** A small deterministic PRNG, so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomDelta(random: () => number, rows: ReadonlyMap<string, ConnectionRow>, nextId: { value: number }): TableFrame<ConnectionRow> {
  const ids = [...rows.keys()];
  const upsert: ConnectionRow[] = [];
  const remove: string[] = [];
  const changes = Math.floor(random() * 12);
  for (let c = 0; c < changes; c++) {
    const roll = random();
    const id = ids[Math.floor(random() * ids.length)];
    if (roll < 0.25 || id === undefined) upsert.push(makeRow(nextId.value++, { bytesIn: Math.floor(random() * 50) }));
    else if (roll < 0.45) remove.push(id);
    else {
      const current = rows.get(id);
      if (current) {
        upsert.push({
          ...current,
          bytesIn: current.bytesIn + Math.floor(random() * 5),
          state: STATES[Math.floor(random() * STATES.length)] ?? 'open',
          owner: random() < 0.2 ? 'proxy' : current.owner,
          lastActivityAt: current.lastActivityAt + Math.floor(random() * 3),
        });
      }
    }
  }
  return { type: 'delta', upsert, remove };
}

describe('updateConnectionsView', () => {
  const queries: ConnectionsQuery[] = [
    baseQuery,
    { ...baseQuery, sortDirection: 'desc' },
    { ...baseQuery, sortKey: 'bytesIn' },
    { ...baseQuery, sortKey: 'bytesIn', sortDirection: 'desc', stateFilter: 'open' },
    { ...baseQuery, sortKey: 'state', filterText: 'echo' },
    { ...baseQuery, sortKey: 'lastActivity', kindFilter: 'tcp', directionFilter: 'in' },
    { ...baseQuery, sortKey: 'remote', filterText: '-owner:proxy' },
  ];

  it('gives exactly the full recompute after any sequence of deltas', () => {
    for (const [index, query] of queries.entries()) {
      const random = prng(1000 + index);
      const nextId = { value: 200 };
      let rows: ReadonlyMap<string, ConnectionRow> = mapOf(Array.from({ length: 120 }, (_, i) => makeRow(i, { bytesIn: i % 7 })));
      let view = computeConnectionsView(rows, query);
      for (let step = 0; step < 300; step++) {
        const next = applyTableFrame(rows, randomDelta(random, rows, nextId));
        view = updateConnectionsView(view, rows, next, query);
        rows = next;
        expect(ids(view.rows), `query ${index}, step ${step}`).toEqual(ids(computeConnectionsView(rows, query).rows));
        expect(view.total).toBe(rows.size);
      }
    }
  });

  it('keeps the rows array when nothing visible changed', () => {
    const rows = mapOf(Array.from({ length: 10 }, (_, i) => makeRow(i)));
    const query = { ...baseQuery, kindFilter: 'tcp' as const };
    const view = computeConnectionsView(rows, query);
    const next = applyTableFrame(rows, { type: 'delta', upsert: [makeRow(1, { bytesIn: 99 })], remove: [] });
    expect(makeRow(1).kind).not.toBe('tcp');
    expect(updateConnectionsView(view, rows, next, query).rows).toBe(view.rows);
  });

  it('updates 10,000 rows after a 10 Hz delta with a merge, not a full sort', () => {
    // Work is counted, not timed (test/bench/micro/connections-view.ts times it): every read of the sort column is
    // one side of a comparison. A full sort of the 5,000 visible rows makes about 2 * 5,000 * log2(5,000) = 123,000;
    // sorting the 150 changed ones and merging them in, about 2 * (5,000 + 150 * log2(150)) = 12,000.
    const reads = { count: 0 };
    const counted = (row: ConnectionRow): ConnectionRow => {
      const bytesIn = row.bytesIn;
      return Object.defineProperty({ ...row }, 'bytesIn', { enumerable: true, get: () => (reads.count++, bytesIn) });
    };
    let rows: ReadonlyMap<string, ConnectionRow> = mapOf(Array.from({ length: 10_000 }, (_, i) => counted(makeRow(i))));
    const query: ConnectionsQuery = { ...baseQuery, sortKey: 'bytesIn', sortDirection: 'desc', filterText: 'echo' };
    let view = computeConnectionsView(rows, query);
    expect(view.rows).toHaveLength(5_000);
    const incremental: number[] = [];
    const full: number[] = [];
    for (let step = 0; step < 30; step++) {
      const upsert = Array.from({ length: 300 }, (_, k) => counted(makeRow((step * 331 + k * 29) % 10_000, { bytesIn: step * 1000 + k })));
      const next = applyTableFrame(rows, { type: 'delta', upsert, remove: [] });
      reads.count = 0;
      view = updateConnectionsView(view, rows, next, query);
      incremental.push(reads.count);
      reads.count = 0;
      expect(ids(view.rows)).toEqual(ids(computeConnectionsView(next, query).rows));
      full.push(reads.count);
      rows = next;
    }
    for (let step = 0; step < 30; step++) {
      expect(incremental[step]).toBeLessThan(2 * (5_000 + 150 * Math.log2(150)) * 1.5);
      expect(incremental[step]! * 5).toBeLessThan(full[step]!);
    }
  });
});
