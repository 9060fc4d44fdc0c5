/**
 * ms per Connections table view at 10,000 rows: a full filter and sort (a new query), and the
 * incremental update after a 10 Hz delta of 300 changed rows (what every live frame costs).
 * A frame at 60 Hz is 16.7 ms; the unit tests count the work (comparisons), this times it.
 * The view's module reaches the renderer's components (TSX), so it runs bundled, and it is typechecked
 * with the renderer (renderer/tsconfig.json):
 *   node_modules/.bin/esbuild test/bench/micro/connections-view.ts --bundle --platform=node --format=esm --log-level=warning | node_modules/.bin/node --input-type=module
 */
import { applyTableFrame, type ConnectionRow } from '../../../shared/contract/index.ts';
import { computeConnectionsView, updateConnectionsView, type ConnectionsQuery, type ConnectionsView } from '../../../renderer/store/connections-view.ts';

const KINDS = ['tcp', 'tls', 'http', 'ws', 'udp'] as const;
const STATES = ['connecting', 'open', 'closing', 'closed'] as const;
const ROWS = 10_000;

function makeRow(i: number, bytesIn = (i * 7919) % 100_000): ConnectionRow {
  return {
    id: `c${i}`,
    kind: KINDS[i % KINDS.length]!,
    direction: i % 3 === 0 ? 'out' : 'in',
    state: STATES[i % STATES.length]!,
    localAddress: '127.0.0.1',
    localPort: 7000 + (i % 10),
    remoteAddress: `10.0.${i % 256}.${(i * 7) % 256}`,
    remotePort: 40000 + (i % 20000),
    bytesIn,
    bytesOut: (i * 104729) % 1_000_000,
    createdAt: 1_000_000 - i * 13,
    lastActivityAt: 2_000_000 - ((i * 31) % 5000),
    owner: i % 2 ? 'echo' : 'proxy',
  };
}

const base: ConnectionsQuery = { sortKey: 'id', sortDirection: 'asc', filterText: '', kindFilter: 'all', directionFilter: 'all', stateFilter: 'all' };
const queries: Array<[string, ConnectionsQuery]> = [
  ['by bytes in, descending', { ...base, sortKey: 'bytesIn', sortDirection: 'desc' }],
  ['by remote address', { ...base, sortKey: 'remote' }],
  ['by id', base],
  ['by owner, filtered "echo 10.0"', { ...base, sortKey: 'owner', filterText: 'echo 10.0' }],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function time(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

const start = new Map(Array.from({ length: ROWS }, (_, i) => [`c${i}`, makeRow(i)] as const));
console.log(`${ROWS.toLocaleString('en')} rows; medians of 30 runs after 10 to warm up; a 60 Hz frame is 16.7 ms`);
for (const [name, query] of queries) {
  const runs: number[] = [];
  for (let i = 0; i < 40; i++) {
    const took = time(() => computeConnectionsView(start, query));
    if (i >= 10) runs.push(took);
  }
  console.log(`full view,     ${name.padEnd(30)} ${median(runs).toFixed(2).padStart(6)} ms (max ${Math.max(...runs).toFixed(2)})`);
}
for (const [name, query] of queries) {
  let rows: ReadonlyMap<string, ConnectionRow> = start;
  let view: ConnectionsView = computeConnectionsView(rows, query);
  const runs: number[] = [];
  for (let step = 0; step < 40; step++) {
    const upsert = Array.from({ length: 300 }, (_, k) => makeRow((step * 331 + k * 29) % ROWS, step * 1000 + k));
    const next = applyTableFrame(rows, { type: 'delta', upsert, remove: [] });
    const previous = view;
    const before = rows;
    const took = time(() => (view = updateConnectionsView(previous, before, next, query)));
    if (step >= 10) runs.push(took);
    rows = next;
  }
  console.log(`300-row delta, ${name.padEnd(30)} ${median(runs).toFixed(2).padStart(6)} ms (max ${Math.max(...runs).toFixed(2)})`);
}
