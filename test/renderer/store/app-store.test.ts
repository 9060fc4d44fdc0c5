import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionRow, Overview } from '../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import {
  errorToast,
  MAX_TOASTS,
  OVERVIEW_HISTORY_LIMIT,
  resetAppStore,
  selectConnectionsView,
  selectSelectedConnection,
  useAppStore,
} from '../../../renderer/store/index.ts';

function row(id: string, patch: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    id,
    kind: 'tcp',
    direction: 'in',
    state: 'open',
    localAddress: '127.0.0.1',
    localPort: 7007,
    remoteAddress: '127.0.0.1',
    remotePort: 50000,
    bytesIn: 0,
    bytesOut: 0,
    createdAt: 0,
    lastActivityAt: 0,
    owner: 'echo',
    ...patch,
  };
}

function overview(at: number, open = 1): Overview {
  return {
    at,
    connections: {
      open,
      openedTotal: 10,
      closedTotal: 9,
      openedPerSecond: 1,
      closedPerSecond: 0.5,
      bytesInPerSecond: 100,
      bytesOutPerSecond: 200,
      byKind: { tcp: open },
    },
    listeners: [],
    host: { uptimeMs: 1000, rssBytes: 1, heapUsedBytes: 1, cpuPercent: 1 },
    rpc: { clients: 1, rejectedMessages: 0 },
  };
}

const state = () => useAppStore.getState();

beforeEach(() => resetAppStore());
afterEach(() => vi.unstubAllGlobals());

describe('session slice', () => {
  it('starts connecting and merges patches', () => {
    expect(state().session.status).toBe('connecting');
    state().updateSession({ status: 'connected', server: { product: 'netops', version: '1', instanceId: 'i' } });
    expect(state().session).toMatchObject({ status: 'connected', server: { instanceId: 'i' }, retryAttempt: 0 });
  });
});

describe('overview slice', () => {
  it('keeps the latest event and appends to the history', () => {
    state().pushOverview(overview(1000, 3));
    state().pushOverview(overview(2000, 4));
    expect(state().overview.latest?.connections.open).toBe(4);
    expect(state().overview.history.map((p) => p.open)).toEqual([3, 4]);
  });

  it('caps the history', () => {
    for (let i = 1; i <= OVERVIEW_HISTORY_LIMIT + 25; i++) state().pushOverview(overview(i * 1000, i));
    const history = state().overview.history;
    expect(history).toHaveLength(OVERVIEW_HISTORY_LIMIT);
    expect(history[0]?.open).toBe(26);
    expect(history.at(-1)?.open).toBe(OVERVIEW_HISTORY_LIMIT + 25);
  });

  it('replaces a repeated point and restarts when time goes backwards', () => {
    state().pushOverview(overview(1000, 1));
    state().pushOverview(overview(1000, 2));
    expect(state().overview.history.map((p) => p.open)).toEqual([2]);
    state().pushOverview(overview(500, 7));
    expect(state().overview.history.map((p) => p.open)).toEqual([7]);
  });

  it('replaces the history array instead of mutating it', () => {
    state().pushOverview(overview(1000));
    const before = state().overview.history;
    state().pushOverview(overview(2000));
    expect(state().overview.history).not.toBe(before);
    expect(before).toHaveLength(1);
  });
});

describe('connections slice', () => {
  it('applies a snapshot then deltas, replacing the map each time', () => {
    state().applyConnectionsFrame({ type: 'snapshot', rows: [row('c1'), row('c2')] });
    const afterSnapshot = state().connections.rows;
    expect(state().connections.loaded).toBe(true);
    expect([...afterSnapshot.keys()]).toEqual(['c1', 'c2']);

    state().applyConnectionsFrame({ type: 'delta', upsert: [row('c3'), row('c1', { bytesIn: 5 })], remove: ['c2'] });
    const afterDelta = state().connections.rows;
    expect(afterDelta).not.toBe(afterSnapshot);
    expect([...afterSnapshot.keys()]).toEqual(['c1', 'c2']);
    expect(afterDelta.get('c1')?.bytesIn).toBe(5);
    expect(afterDelta.has('c2')).toBe(false);
  });

  it('marks the table unloaded while keeping rows, and clears rows on release', () => {
    state().applyConnectionsFrame({ type: 'snapshot', rows: [row('c1')] });
    state().markConnectionsUnloaded();
    expect(state().connections).toMatchObject({ loaded: false });
    expect(state().connections.rows.size).toBe(1);
    state().setConnectionsFilterText('echo');
    state().clearConnectionRows();
    expect(state().connections.rows.size).toBe(0);
    expect(state().connections.filterText).toBe('echo');
  });

  it('toggles the direction on the same column and resets it on another', () => {
    expect(state().connections).toMatchObject({ sortKey: 'id', sortDirection: 'asc' });
    state().sortConnectionsBy('id');
    expect(state().connections.sortDirection).toBe('desc');
    state().sortConnectionsBy('owner');
    expect(state().connections).toMatchObject({ sortKey: 'owner', sortDirection: 'asc' });
    state().sortConnectionsBy('bytesOut');
    expect(state().connections).toMatchObject({ sortKey: 'bytesOut', sortDirection: 'desc' });
  });

  it('sets and clears filters', () => {
    state().setConnectionsFilterText('kind:tcp');
    state().setConnectionsFilters({ kindFilter: 'udp', stateFilter: 'open' });
    expect(state().connections).toMatchObject({ filterText: 'kind:tcp', kindFilter: 'udp', stateFilter: 'open', directionFilter: 'all' });
    state().clearConnectionsFilters();
    expect(state().connections).toMatchObject({ filterText: '', kindFilter: 'all', stateFilter: 'all' });
  });

  it('selects, opens and closes the detail panel', () => {
    state().selectConnection('c1');
    expect(state().connections).toMatchObject({ selectedId: 'c1', detailOpen: false });
    state().selectConnection('c2', { openDetail: true });
    expect(state().connections).toMatchObject({ selectedId: 'c2', detailOpen: true });
    // Moving the selection keeps the panel open and following.
    state().selectConnection('c3');
    expect(state().connections.detailOpen).toBe(true);
    state().setConnectionDetailOpen(false);
    expect(state().connections.detailOpen).toBe(false);
    state().selectConnection(null);
    state().setConnectionDetailOpen(true);
    expect(state().connections.detailOpen).toBe(false);
  });

  it('tracks the connection the close dialog asks about', () => {
    state().requestConnectionClose('c7');
    expect(state().connections.pendingCloseId).toBe('c7');
    state().requestConnectionClose(null);
    expect(state().connections.pendingCloseId).toBeNull();
  });

  it('selects the filtered view and the selected row', () => {
    state().applyConnectionsFrame({ type: 'snapshot', rows: [row('c1', { owner: 'proxy' }), row('c2'), row('c10')] });
    state().setConnectionsFilterText('owner:echo');
    const view = selectConnectionsView(state());
    expect(view.rows.map((r) => r.id)).toEqual(['c2', 'c10']);
    expect(view.total).toBe(3);
    expect(selectConnectionsView(state())).toBe(view);
    state().selectConnection('c10');
    expect(selectSelectedConnection(state())?.id).toBe('c10');
    state().applyConnectionsFrame({ type: 'delta', upsert: [], remove: ['c10'] });
    expect(selectSelectedConnection(state())).toBeUndefined();
    expect(state().connections.selectedId).toBe('c10');
  });
});

describe('toasts slice', () => {
  it('pushes and dismisses', () => {
    const id = state().pushToast({ tone: 'info', title: 'Hello', message: 'world' });
    expect(state().toasts.items).toMatchObject([{ id, tone: 'info', title: 'Hello', message: 'world', code: null, count: 1 }]);
    state().dismissToast(id);
    expect(state().toasts.items).toEqual([]);
  });

  it('folds identical toasts into one with a count', () => {
    const input = errorToast('Could not close c1', new NetopsError(ErrorCodes.notFound, 'no connection c1'));
    const first = state().pushToast(input);
    const second = state().pushToast(input);
    expect(second).toBe(first);
    expect(state().toasts.items).toHaveLength(1);
    expect(state().toasts.items[0]).toMatchObject({ code: 'NETOPS_NOT_FOUND', message: 'no connection c1', count: 2 });
  });

  it('keeps only the newest few', () => {
    for (let i = 0; i < MAX_TOASTS + 3; i++) state().pushToast({ tone: 'error', title: 'Failure', message: `number ${i}` });
    const items = state().toasts.items;
    expect(items).toHaveLength(MAX_TOASTS);
    expect(items.at(-1)?.message).toBe(`number ${MAX_TOASTS + 2}`);
  });

  it('describes errors that are not NetopsErrors', () => {
    expect(errorToast('t', new Error('boom'))).toEqual({ tone: 'error', title: 't', code: null, message: 'boom' });
    expect(errorToast('t', 'plain')).toMatchObject({ code: null, message: 'plain' });
  });
});

describe('ui slice', () => {
  function fakeStorage(initial: Record<string, string> = {}) {
    const data = new Map(Object.entries(initial));
    return {
      getItem: (key: string) => data.get(key) ?? null,
      setItem: (key: string, value: string) => void data.set(key, value),
      data,
    };
  }

  it('follows prefers-color-scheme until the operator picks a theme', () => {
    vi.stubGlobal('matchMedia', () => ({ matches: true }));
    resetAppStore();
    expect(state().ui).toMatchObject({ theme: 'dark', themeIsExplicit: false });
    state().followSystemTheme('light');
    expect(state().ui.theme).toBe('light');
  });

  it('persists an explicit choice and then ignores the system', () => {
    const storage = fakeStorage();
    vi.stubGlobal('localStorage', storage);
    resetAppStore();
    state().toggleTheme();
    const chosen = state().ui.theme;
    expect(state().ui.themeIsExplicit).toBe(true);
    expect(storage.data.get('netops.theme')).toBe(chosen);
    state().followSystemTheme(chosen === 'dark' ? 'light' : 'dark');
    expect(state().ui.theme).toBe(chosen);
  });

  it('restores a stored theme', () => {
    vi.stubGlobal('localStorage', fakeStorage({ 'netops.theme': 'dark' }));
    vi.stubGlobal('matchMedia', () => ({ matches: false }));
    resetAppStore();
    expect(state().ui).toMatchObject({ theme: 'dark', themeIsExplicit: true });
  });

  it('survives a storage that throws', () => {
    vi.stubGlobal('localStorage', {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    });
    resetAppStore();
    expect(() => state().setTheme('dark')).not.toThrow();
    expect(state().ui.theme).toBe('dark');
  });

  it('opens and closes the shortcut help', () => {
    state().setShortcutsOpen(true);
    expect(state().ui.shortcutsOpen).toBe(true);
  });
});

describe('resetAppStore', () => {
  it('restores every slice and keeps the actions', () => {
    state().applyConnectionsFrame({ type: 'snapshot', rows: [row('c1')] });
    state().pushToast({ tone: 'info', title: 't', message: 'm' });
    state().pushOverview(overview(1));
    state().updateSession({ status: 'unauthorized' });
    resetAppStore();
    expect(state().connections.rows.size).toBe(0);
    expect(state().toasts.items).toEqual([]);
    expect(state().overview.latest).toBeNull();
    expect(state().session.status).toBe('connecting');
    expect(typeof state().applyConnectionsFrame).toBe('function');
  });
});
