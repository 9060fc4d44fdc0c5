import { useState } from 'react';
import { poolsByInstance, RETRY_BUDGET_HINT, retryBudgetLabel, serviceSlowStartMs, slowStartShare, type GatewayInstanceStatus, type GatewayServiceStatus } from '../../../shared/contract/index.ts';
import { ConfirmDialog, EditIcon, formatCount, formatCountdown, formatRate, PlusIcon, TrashIcon, useAction, useNow } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { formatErrorRate, formatLatency, ItemStatusBadge, TrafficCells, useGatewayApi } from './common.tsx';
import { BALANCER_LABELS, BALANCERS, type Balancer } from './service-form.ts';
import { ServiceDialog, type ServiceDialogTarget } from './ServiceDialog.tsx';

export function ServicesPanel() {
  const services = useAppStore((state) => state.gateway.status?.services);
  const [dialog, setDialog] = useState<ServiceDialogTarget | null>(null);
  const [deleting, setDeleting] = useState<GatewayServiceStatus | null>(null);
  if (!services) return null;
  return (
    <div className="gw-stack">
      <div className="gw-tab-actions">
        <span className="muted">Each service balances its requests over its instances; health checks and passive ejection take failing ones out.</span>
        <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'new' })} data-testid="service-add">
          <PlusIcon />
          Add service
        </button>
      </div>
      {services.length === 0 ? <p className="panel panel-empty">No services yet: a service is where routers send requests.</p> : null}
      {services.map((service) => (
        <ServiceCard key={service.name} service={service} onEdit={() => setDialog({ kind: 'edit', service })} onDelete={() => setDeleting(service)} />
      ))}
      {dialog ? <ServiceDialog target={dialog} onClose={() => setDialog(null)} /> : null}
      {deleting ? <DeleteServiceDialog service={deleting} onClose={() => setDeleting(null)} /> : null}
    </div>
  );
}

function balancerLabel(balancer: string): string {
  return (BALANCERS as readonly string[]).includes(balancer) ? BALANCER_LABELS[balancer as Balancer] : balancer;
}

function ServiceCard({ service, onEdit, onDelete }: { service: GatewayServiceStatus; onEdit(): void; onDelete(): void }) {
  const pools = poolsByInstance(service.pools);
  const healthy = service.instances.filter((instance) => instance.healthy && instance.ejectedUntil === null && !instance.drain).length;
  const drained = service.instances.filter((instance) => instance.drain).length;
  return (
    <section className="panel gw-service" aria-label={`Service ${service.name}`} data-testid="service-card" data-name={service.name}>
      <header className="panel-header">
        <div className="panel-title">
          <h2 className="mono">{service.name}</h2>
          <ItemStatusBadge status={service.status} errors={service.errors} />
          <span className="tag">{balancerLabel(service.balancer)}</span>
          <span className="panel-meta numeric">
            {healthy} of {service.instances.length} instance{service.instances.length === 1 ? '' : 's'} up{drained > 0 ? ` · ${drained} drained` : ''}
          </span>
          {service.retries ? (
            <span
              className={`panel-meta numeric${service.retries.attempts > 0 && service.retries.retries >= service.retries.allowed ? ' tone-warning' : ''}`}
              title={RETRY_BUDGET_HINT}
              data-testid="service-retries"
            >
              {retryBudgetLabel(service.retries)}
            </span>
          ) : null}
        </div>
        <div className="panel-actions">
          <span className="gw-service-figures numeric" title="Requests per second (10 s), error rate (60 s) and p99 since start">
            {formatRate(service.traffic.rps)} · {formatErrorRate(service.traffic.errorRate)} errors · p99 {formatLatency(service.traffic.p99Ms)}
          </span>
          <button type="button" className="icon-button icon-button-small" aria-label={`Edit ${service.name}`} title="Edit" onClick={onEdit} data-testid="service-edit">
            <EditIcon />
          </button>
          <button type="button" className="icon-button icon-button-small icon-button-danger" aria-label={`Delete ${service.name}`} title="Delete" onClick={onDelete} data-testid="service-delete">
            <TrashIcon />
          </button>
        </div>
      </header>
      {service.errors.length > 0 ? (
        <ul className="gw-errors">
          {service.errors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      ) : null}
      {service.instances.length === 0 ? (
        <p className="panel-empty">No instances: requests get 503 until one is added.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table compact-table" data-testid="instances-table">
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col" className="align-end">
                  Weight
                </th>
                <th scope="col">Health</th>
                <th scope="col" className="align-end">
                  Req/s
                </th>
                <th scope="col" className="align-end">
                  Errors
                </th>
                <th scope="col" className="align-end">
                  p99
                </th>
                <th scope="col" className="align-end">
                  p50
                </th>
                <th scope="col" className="align-end" title="Upstream connections: open (idle / busy), and requests queued for one">
                  Pool open · idle · busy · queued
                </th>
                <th scope="col" className="align-end">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {service.instances.map((instance) => {
                const pool = pools.get(instance.url);
                return (
                  <tr key={instance.url} data-testid="instance-row" data-url={instance.url}>
                    <td className="mono">{instance.url}</td>
                    <td className="align-end numeric">{instance.weight}</td>
                    <td>
                      <span className="gw-instance-states">
                        {instance.drain ? <Drained instance={instance} /> : null}
                        <HealthState instance={instance} />
                        {instance.warmingUntil !== null && instance.healthy ? <Warming until={instance.warmingUntil} slowStartMs={serviceSlowStartMs(service)} /> : null}
                      </span>
                    </td>
                    <TrafficCells traffic={instance.traffic} />
                    <td className="align-end numeric">{formatLatency(instance.traffic.p50Ms)}</td>
                    <td className="align-end numeric muted" data-testid="instance-pool" title={pool ? `${formatCount(pool.created)} opened, ${formatCount(pool.reused)} reuses, ${formatCount(pool.pipelined)} pipelined` : undefined}>
                      {pool ? `${pool.open} · ${pool.idle} · ${pool.busy} · ${pool.queued}` : '–'}
                    </td>
                    <td className="align-end">
                      <DrainButton service={service.name} instance={instance} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function HealthState({ instance }: { instance: GatewayInstanceStatus }) {
  if (instance.ejectedUntil !== null) return <Ejected until={instance.ejectedUntil} />;
  if (!instance.healthy) {
    return (
      <span className="pill pill-danger" data-health="unhealthy" title={instance.lastHealthError ?? undefined}>
        unhealthy
      </span>
    );
  }
  return (
    <span className="pill pill-ok" data-health="healthy">
      healthy
    </span>
  );
}

/** Drained by the operator: "draining" while requests it had are still in flight, then "drained". */
function Drained({ instance }: { instance: GatewayInstanceStatus }) {
  const inFlight = instance.traffic.inFlight;
  return (
    <span className="pill pill-neutral" data-drain={inFlight > 0 ? 'draining' : 'drained'} title="Out of rotation: no new requests or streams; those in flight finish, health checks go on">
      {inFlight > 0 ? `draining · ${formatCount(inFlight)} in flight` : 'drained'}
    </span>
  );
}

/** Takes an instance out of rotation or back in, through the config file. */
function DrainButton({ service, instance }: { service: string; instance: GatewayInstanceStatus }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const drain = !instance.drain;
  const toggle = async () => {
    const result = await run(`Could not ${drain ? 'drain' : 'return'} ${instance.url}`, () => api().drainInstance({ service, url: instance.url, drain }));
    if (!result) return;
    useAppStore.getState().pushToast({
      tone: 'success',
      title: drain ? 'Instance drained' : 'Instance back in rotation',
      message: `${instance.url} ${drain ? 'takes no new requests; those in flight finish' : 'takes requests again'}. Config version ${result.version} applies.`,
    });
  };
  return (
    <button
      type="button"
      className="button button-small"
      disabled={busy}
      title={drain ? 'Take it out of rotation (written to the config file as drain: true): no new requests, those in flight finish' : 'Put it back in rotation'}
      onClick={() => void toggle()}
      data-testid="instance-drain-toggle"
    >
      {busy ? (drain ? 'Draining…' : 'Returning…') : drain ? 'Drain' : 'Return'}
    </button>
  );
}

/** Slow start: the share of its weight the instance has reached, climbing on the screen's clock. */
function Warming({ until, slowStartMs }: { until: number; slowStartMs: number }) {
  const now = useNow();
  if (until <= now) return null;
  const percent = Math.floor(slowStartShare(until, slowStartMs, now) * 100);
  return (
    <span className="pill pill-neutral" data-warming={percent} title={`Slow start: its share of requests climbs to its full weight in ${formatCountdown(until - now)}`}>
      warming · {percent}%
    </span>
  );
}

/** Passive ejection: back in rotation when the countdown ends. */
function Ejected({ until }: { until: number }) {
  const now = useNow();
  const left = until - now;
  return (
    <span className="pill pill-warning" data-health="ejected" title="Taken out after consecutive errors; retried when the time is up">
      {left > 0 ? `ejected · ${formatCountdown(left)}` : 'ejected · returning'}
    </span>
  );
}

function DeleteServiceDialog({ service, onClose }: { service: GatewayServiceStatus; onClose(): void }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const users = useAppStore((state) => state.gateway.status?.routers.filter((router) => (router.config as { service?: unknown } | null)?.service === service.name).length ?? 0);
  const remove = async () => {
    const result = await run(`Could not delete "${service.name}"`, () => api().remove({ kind: 'service', name: service.name }));
    if (!result) return;
    useAppStore.getState().pushToast({ tone: 'success', title: 'Service deleted', message: `"${service.name}" is gone; config version ${result.version} applies.` });
    onClose();
  };
  return (
    <ConfirmDialog
      open
      title={`Delete service "${service.name}"?`}
      confirmLabel="Delete service"
      busyLabel="Deleting…"
      danger
      busy={busy}
      testId="service-delete-dialog"
      onConfirm={() => void remove()}
      onCancel={onClose}
    >
      <p>
        {users > 0
          ? `${users} router${users === 1 ? ' sends' : 's send'} requests here: ${users === 1 ? 'it is' : 'they are'} disabled until the service exists again.`
          : 'No router sends requests here.'}
      </p>
    </ConfirmDialog>
  );
}
