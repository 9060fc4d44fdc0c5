import { createContext, useContext, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import {
  ConfirmDialog,
  EditIcon,
  formatCount,
  formatRate,
  PlayIcon,
  PlusIcon,
  SEARCH_BOX_ATTRIBUTE,
  SearchIcon,
  TrashIcon,
  useAction,
  VirtualTable,
  type VirtualColumn,
  type VirtualTableHandle,
} from '../../components/index.ts';
import { matchSummary, selectRoutersView, useAppStore, type RouterRow, type RouterStatusFilter } from '../../store/index.ts';
import { errorRateTone, formatErrorRate, formatLatency, ItemStatusBadge, useGatewayApi } from './common.tsx';
import { RouterDialog, type RouterDialogTarget } from './RouterDialog.tsx';

export function RoutersPanel() {
  const view = useAppStore(selectRoutersView);
  const filter = useAppStore((state) => state.gateway.routersFilter);
  const setFilter = useAppStore((state) => state.setRoutersFilter);
  const selected = useAppStore((state) => state.gateway.selectedRouter);
  const select = useAppStore((state) => state.selectRouter);
  const [dialog, setDialog] = useState<RouterDialogTarget | null>(null);
  const [deleting, setDeleting] = useState<RouterRow | null>(null);
  const tableRef = useRef<VirtualTableHandle>(null);
  const api = useGatewayApi();
  const switching = useAction();
  const searchProps = { [SEARCH_BOX_ATTRIBUTE]: '' };

  const actions = useMemo<RowActions>(
    () => ({
      edit: (row) => setDialog({ kind: 'edit', row }),
      remove: (row) => setDeleting(row),
      test: (row) => useAppStore.getState().openRouteTester(testPresetFor(row)),
    }),
    [],
  );

  const move = (by: number) => {
    const rows = view.rows;
    if (rows.length === 0) return;
    const index = rows.findIndex((row) => row.name === selected);
    const next = rows[Math.max(0, Math.min(rows.length - 1, index < 0 ? 0 : index + by))]!;
    select(next.name);
  };

  // The table's keys: arrows select, Enter edits, Delete asks to delete, t opens the tester on the router, o switches it off or on.
  const onTableKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const row = view.rows.find((r) => r.name === selected);
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      move(event.key === 'ArrowDown' ? 1 : -1);
    } else if (event.key === 'PageDown' || event.key === 'PageUp') {
      event.preventDefault();
      move((event.key === 'PageDown' ? 1 : -1) * (tableRef.current?.pageSize() ?? 10));
    } else if (row && event.key === 'Enter') {
      event.preventDefault();
      actions.edit(row);
    } else if (row && (event.key === 'Delete' || event.key === 'Backspace')) {
      event.preventDefault();
      actions.remove(row);
    } else if (row && event.key === 't') {
      event.preventDefault();
      actions.test(row);
    } else if (row && event.key === 'o' && row.config !== null) {
      event.preventDefault();
      void switchRouter(api, switching.run, row);
    }
  };

  const onSearchKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      move(event.key === 'ArrowDown' ? 1 : -1);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      tableRef.current?.focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      if (filter.text) setFilter({ text: '' });
      else event.currentTarget.blur();
    }
  };

  return (
    <section className="panel gw-routers" aria-label="Routers">
      <header className="panel-header">
        <div className="toolbar gw-toolbar" role="search">
          <label className="search search-compact">
            <SearchIcon className="icon search-icon" />
            <span className="visually-hidden">Filter routers</span>
            <input
              type="search"
              value={filter.text}
              onChange={(event) => setFilter({ text: event.target.value })}
              onKeyDown={onSearchKeyDown}
              placeholder="Search, or filter: service:api host:example.com path:/v1 mw:auth"
              spellCheck={false}
              autoComplete="off"
              data-testid="routers-search"
              {...searchProps}
            />
          </label>
          <label className={`select${filter.status !== 'all' ? ' is-active' : ''}`}>
            <span className="select-label">Status</span>
            <select value={filter.status} onChange={(event) => setFilter({ status: event.target.value as RouterStatusFilter })} data-testid="routers-status-filter">
              <option value="all">All</option>
              <option value="enabled">Enabled</option>
              <option value="disabled">Disabled</option>
              <option value="errors">With errors</option>
            </select>
          </label>
          <span className="panel-meta numeric" data-testid="routers-count">
            {view.rows.length === view.all.length ? formatCount(view.all.length) : `${formatCount(view.rows.length)} of ${formatCount(view.all.length)}`}
          </span>
        </div>
        <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'new' })} data-testid="router-add">
          <PlusIcon />
          Add router
        </button>
      </header>
      <RouterErrors rows={view.rows} />
      <div className="gw-table-body" onKeyDown={onTableKeyDown}>
        <RowActionsContext.Provider value={actions}>
          <VirtualTable
            rows={view.rows}
            columns={ROUTER_COLUMNS}
            rowKey={routerKey}
            rowHeight={34}
            selectedKey={selected}
            onRowClick={(row) => select(row.name)}
            onRowDoubleClick={(row) => actions.edit(row)}
            rowClassName={routerClass}
            rowData={routerData}
            ariaLabel="Routers"
            testId="routers-table"
            rowTestId="router-row"
            idPrefix="router"
            handleRef={tableRef}
            empty={
              <p className="muted">
                {view.all.length === 0 ? 'No routers yet: add one to send requests from an entry point to a service.' : 'No routers match the filter.'}
              </p>
            }
          />
        </RowActionsContext.Provider>
      </div>
      {dialog ? <RouterDialog target={dialog} onClose={() => setDialog(null)} /> : null}
      {deleting ? <DeleteRouterDialog row={deleting} onClose={() => setDeleting(null)} /> : null}
    </section>
  );
}

/** Errors of the routers shown, so a disabled router explains itself without a hover. */
function RouterErrors({ rows }: { rows: readonly RouterRow[] }) {
  const broken = rows.filter((row) => row.errors.length > 0);
  if (broken.length === 0) return null;
  return (
    <ul className="gw-errors" data-testid="router-errors">
      {broken.slice(0, 5).map((row) => (
        <li key={row.name}>
          <span className="strong">{row.name}</span>: {row.errors.join('; ')}
        </li>
      ))}
      {broken.length > 5 ? <li className="muted">and {broken.length - 5} more (filter: status “With errors”)</li> : null}
    </ul>
  );
}

function DeleteRouterDialog({ row, onClose }: { row: RouterRow; onClose(): void }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const remove = async () => {
    const result = await run(`Could not delete "${row.name}"`, () => api().remove({ kind: 'router', name: row.name }));
    if (!result) return;
    useAppStore.getState().pushToast({ tone: 'success', title: 'Router deleted', message: `"${row.name}" is gone; config version ${result.version} applies.` });
    onClose();
  };
  return (
    <ConfirmDialog
      open
      title={`Delete router "${row.name}"?`}
      confirmLabel="Delete router"
      busyLabel="Deleting…"
      danger
      busy={busy}
      testId="router-delete-dialog"
      confirmTestId="router-delete-confirm"
      onConfirm={() => void remove()}
      onCancel={onClose}
    >
      <p>
        Requests that match <code>{matchSummary(row)}</code> go to the next matching router, or get 404. The change is written to the config file
        and can be rolled back from Config history.
      </p>
    </ConfirmDialog>
  );
}

/** The tester prefilled with a request this router would take. */
function testPresetFor(row: RouterRow) {
  const host = row.hosts.find((name) => !name.startsWith('*.')) ?? '';
  const path = row.path ? row.path.value.replace(/\/\*$/, '/').replace(/:([a-z_]\w*)/gi, '1') : '/';
  return { method: row.methods[0] ?? 'GET', path, host, entryPoint: row.entryPoints[0] ?? '' };
}

interface RowActions {
  edit(row: RouterRow): void;
  remove(row: RouterRow): void;
  test(row: RouterRow): void;
}

// Columns are module-level so memoized rows stay memoized; their buttons reach the panel's handlers through this.
const RowActionsContext = createContext<RowActions | null>(null);

function RowButtons({ row }: { row: RouterRow }) {
  const actions = useContext(RowActionsContext);
  return (
    <span className="row-actions">
      <button type="button" className="icon-button icon-button-small" aria-label={`Test ${row.name}`} title="Open in the route tester (t)" onClick={() => actions?.test(row)}>
        <PlayIcon />
      </button>
      <button type="button" className="icon-button icon-button-small" aria-label={`Edit ${row.name}`} title="Edit (Enter)" onClick={() => actions?.edit(row)} data-testid="router-edit">
        <EditIcon />
      </button>
      <button
        type="button"
        className="icon-button icon-button-small icon-button-danger"
        aria-label={`Delete ${row.name}`}
        title="Delete (Del)"
        onClick={() => actions?.remove(row)}
        data-testid="router-delete"
      >
        <TrashIcon />
      </button>
    </span>
  );
}

type Run = ReturnType<typeof useAction>['run'];

/** Switches a router off or on through the file (its `enabled`), with a toast either way. */
async function switchRouter(api: ReturnType<typeof useGatewayApi>, run: Run, row: RouterRow): Promise<void> {
  const on = !row.switchedOff;
  const result = await run(`Could not switch "${row.name}" ${on ? 'off' : 'on'}`, () => api().setRouterEnabled({ name: row.name, enabled: !on }));
  if (!result) return;
  useAppStore.getState().pushToast({
    tone: 'success',
    title: on ? 'Router switched off' : 'Router switched on',
    message: `"${row.name}" ${on ? 'takes no requests' : 'takes requests again'}; config version ${result.version} applies.`,
  });
}

/** The operator's switch (the file's `enabled`); the status beside it says whether the router runs. */
function EnabledSwitch({ row }: { row: RouterRow }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const on = !row.switchedOff;
  const toggle = () => switchRouter(api, run, row);
  return (
    <button
      type="button"
      role="switch"
      className="switch"
      aria-checked={on}
      aria-label={`${row.name} on`}
      title={on ? 'Switch off (o), written to the config file as enabled: false' : 'Switch on (o)'}
      data-testid="router-enabled-switch"
      disabled={busy || row.config === null}
      onClick={(event) => {
        event.stopPropagation();
        void toggle();
      }}
    >
      <span className="switch-thumb" aria-hidden="true" />
    </button>
  );
}

function MatchCell({ row }: { row: RouterRow }) {
  return (
    <span className="gw-match">
      <span className={row.hosts.length === 0 ? 'muted' : undefined}>{row.hosts.length === 0 ? 'any host' : row.hosts.join(', ')}</span>
      {row.path ? (
        <span className="mono">
          <span className="gw-path-kind">{row.path.kind}</span>
          {row.path.value}
        </span>
      ) : (
        <span className="muted">any path</span>
      )}
      {row.methods.length > 0 ? <span className="tag">{row.methods.join(' ')}</span> : null}
    </span>
  );
}

const routerKey = (row: RouterRow) => row.name;
const routerData = (row: RouterRow) => ({ name: row.name, status: row.status });
const routerClass = (row: RouterRow) => (row.status === 'disabled' ? 'is-disabled' : undefined);

const ROUTER_COLUMNS: readonly VirtualColumn<RouterRow>[] = [
  { key: 'on', header: 'On', width: 50, cell: (r) => <EnabledSwitch row={r} /> },
  { key: 'name', header: 'Name', width: 124, cell: (r) => <span className="strong">{r.name}</span>, title: (r) => r.name },
  { key: 'status', header: 'Status', width: 84, cell: (r) => <ItemStatusBadge status={r.status} errors={r.errors} switchedOff={r.switchedOff} /> },
  { key: 'match', header: 'Match', width: 190, grow: true, cell: (r) => <MatchCell row={r} />, title: matchSummary },
  {
    key: 'middlewares',
    header: 'Middlewares',
    width: 140,
    dropOrder: 2,
    cell: (r) => (r.middlewares.length === 0 ? <span className="muted">–</span> : r.middlewares.join(' → ')),
    title: (r) => r.middlewares.join(' → '),
  },
  {
    key: 'service',
    header: 'Service',
    width: 130,
    cell: (r) => (r.service ?? (r.redirect ? <span className="muted">redirect {r.redirect}</span> : '–')),
    title: (r) => r.service ?? r.redirect ?? '',
  },
  { key: 'priority', header: 'Priority', width: 70, align: 'end', dropOrder: 1, cell: (r) => (r.priority === null ? <span className="muted">auto</span> : r.priority) },
  { key: 'rps', header: 'Req/s', width: 72, align: 'end', cell: (r) => formatRate(r.traffic.rps) },
  {
    key: 'errors',
    header: 'Errors',
    width: 64,
    align: 'end',
    cell: (r) => <span className={errorRateTone(r.traffic.errorRate)}>{formatErrorRate(r.traffic.errorRate)}</span>,
  },
  { key: 'p99', header: 'p99', width: 72, align: 'end', dropOrder: 3, cell: (r) => formatLatency(r.traffic.p99Ms) },
  { key: 'actions', header: '', width: 92, cell: (r) => <RowButtons row={r} /> },
];
