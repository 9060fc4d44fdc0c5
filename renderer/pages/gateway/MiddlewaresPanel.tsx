import { useState } from 'react';
import type { GatewayMiddlewareStatus } from '../../../shared/contract/index.ts';
import { ActionsHeader, ConfirmDialog, EditIcon, formatCount, PlusIcon, TrashIcon, useAction } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { ItemStatusBadge, useGatewayApi } from './common.tsx';
import { MIDDLEWARE_TYPE_LABELS, MIDDLEWARE_TYPES, middlewareCounterLabel, middlewareSummary, type MiddlewareType } from './middleware-form.ts';
import { MiddlewareDialog, type MiddlewareDialogTarget } from './MiddlewareDialog.tsx';

function typeLabel(type: string): string {
  return (MIDDLEWARE_TYPES as readonly string[]).includes(type) ? MIDDLEWARE_TYPE_LABELS[type as MiddlewareType] : type;
}

/** `limited 12 · dry run limited 0`: whatever the engine counts for this type. */
function Counters({ counters }: { counters: Readonly<Record<string, number>> }) {
  const entries = Object.entries(counters);
  if (entries.length === 0) return <span className="muted">–</span>;
  return (
    <span className="gw-counters">
      {entries.map(([name, value]) => (
        <span key={name} className={value > 0 && /limit|denied|refused|reject/i.test(name) ? 'tone-warning' : undefined}>
          <span className="muted">{middlewareCounterLabel(name)}</span> <span className="numeric">{formatCount(value)}</span>
        </span>
      ))}
    </span>
  );
}

export function MiddlewaresPanel() {
  const middlewares = useAppStore((state) => state.gateway.status?.middlewares);
  const [dialog, setDialog] = useState<MiddlewareDialogTarget | null>(null);
  const [deleting, setDeleting] = useState<GatewayMiddlewareStatus | null>(null);
  if (!middlewares) return null;
  return (
    <section className="panel" aria-label="Middlewares">
      <header className="panel-header">
        <span className="muted">Run in a router's order before its service: limits, keys, header edits, CORS and IP filters.</span>
        <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'new' })} data-testid="middleware-add">
          <PlusIcon />
          Add middleware
        </button>
      </header>
      {middlewares.length === 0 ? (
        <p className="panel-empty">No middlewares yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" data-testid="middlewares-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Settings</th>
                <th scope="col">Counters</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {middlewares.map((middleware) => (
                <tr key={middleware.name} data-testid="middleware-row" data-name={middleware.name}>
                  <td className="strong mono">{middleware.name}</td>
                  <td>
                    <span className="tag">{typeLabel(middleware.type)}</span>
                  </td>
                  <td>
                    <ItemStatusBadge status={middleware.status} errors={middleware.errors} />
                    {middleware.errors.length > 0 ? <span className="listener-error">{middleware.errors.join('; ')}</span> : null}
                  </td>
                  <td className="gw-settings">{middlewareSummary(middleware.type, middleware.config)}</td>
                  <td>
                    <Counters counters={middleware.counters} />
                  </td>
                  <td className="align-end">
                    <span className="row-actions">
                      <button type="button" className="icon-button icon-button-small" aria-label={`Edit ${middleware.name}`} onClick={() => setDialog({ kind: 'edit', middleware })}>
                        <EditIcon />
                      </button>
                      <button type="button" className="icon-button icon-button-small icon-button-danger" aria-label={`Delete ${middleware.name}`} onClick={() => setDeleting(middleware)}>
                        <TrashIcon />
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog ? <MiddlewareDialog target={dialog} onClose={() => setDialog(null)} /> : null}
      {deleting ? <DeleteMiddlewareDialog middleware={deleting} onClose={() => setDeleting(null)} /> : null}
    </section>
  );
}

function DeleteMiddlewareDialog({ middleware, onClose }: { middleware: GatewayMiddlewareStatus; onClose(): void }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const remove = async () => {
    const result = await run(`Could not delete "${middleware.name}"`, () => api().remove({ kind: 'middleware', name: middleware.name }));
    if (!result) return;
    useAppStore.getState().pushToast({ tone: 'success', title: 'Middleware deleted', message: `"${middleware.name}" is gone; config version ${result.version} applies.` });
    onClose();
  };
  return (
    <ConfirmDialog
      open
      title={`Delete middleware "${middleware.name}"?`}
      confirmLabel="Delete middleware"
      busyLabel="Deleting…"
      danger
      busy={busy}
      onConfirm={() => void remove()}
      onCancel={onClose}
    >
      <p>Routers that name it are disabled until it exists again: a route never runs without the checks it was given.</p>
    </ConfirmDialog>
  );
}
