import type { ConnectionFilter, ConnectionRow, Contract } from '../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../shared/errors.ts';
import { DisposableStore } from '../../shared/lifecycle.ts';
import type { ServiceImpl } from '../../shared/rpc/index.ts';
import type { ConnectionTracker } from '../engine/connections/index.ts';

export function matchesConnectionFilter(row: ConnectionRow, filter: ConnectionFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.kind && row.kind !== filter.kind) return false;
  if (filter.direction && row.direction !== filter.direction) return false;
  if (filter.state && row.state !== filter.state) return false;
  if (filter.owner && row.owner !== filter.owner) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    const haystack = `${row.id} ${row.kind} ${row.owner} ${row.localAddress}:${row.localPort} ${row.remoteAddress}:${row.remotePort}`;
    if (!haystack.toLowerCase().includes(needle)) return false;
  }
  return true;
}

export function createConnectionsService(tracker: ConnectionTracker): ServiceImpl<Contract['connections']> {
  return {
    list: ({ filter, limit }) => {
      const rows = tracker.list().filter((row) => matchesConnectionFilter(row, filter));
      return { rows: limit === undefined ? rows : rows.slice(0, limit), total: rows.length };
    },
    get: ({ id }) => {
      const row = tracker.get(id);
      if (!row) throw new NetopsError(ErrorCodes.notFound, `no open connection with id ${id}`);
      return row;
    },
    close: ({ id }) => {
      tracker.close(id);
      return { id, closed: true };
    },
    live: (_params, sink) => {
      const store = new DisposableStore();
      sink.emit({ type: 'snapshot', rows: tracker.list() });
      store.add(tracker.onDidOpen((row) => sink.emit({ type: 'delta', upsert: [row], remove: [] })));
      store.add(tracker.onDidClose((row) => sink.emit({ type: 'delta', upsert: [], remove: [row.id] })));
      store.add(tracker.onDidChange(({ rows, counters }) => sink.emit({ type: 'delta', upsert: rows, remove: [], patch: counters })));
      return store;
    },
  };
}
