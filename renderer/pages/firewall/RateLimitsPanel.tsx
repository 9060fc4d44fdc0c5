import { useState, type FormEvent } from 'react';
import type { ListenerStatus, RateLimit } from '../../../shared/contract/index.ts';
import { formatDurationSeconds } from '../../../shared/net/index.ts';
import { ActionsHeader, Dialog, EditIcon, FormField, PlusIcon, TrashIcon, useAction, useForm } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { plural, RemoveDialog, useFirewallApi } from './common.tsx';
import {
  fieldErrorsFromServer,
  RATE_LIMIT_FIELDS,
  rateLimitFormFromLimit,
  validateRateLimitForm,
  type RateLimitField,
  type RateLimitFormValues,
} from './validation.ts';

const NO_LIMITS: readonly RateLimit[] = [];
const IPV6_PREFIX_HELP = "A prefix length, e.g. 64: the addresses of one /64 (a host's usual share) take from one bucket and are banned together; 128: per address";
const NO_LISTENERS: readonly ListenerStatus[] = [];

type Editing = { kind: 'new' } | { kind: 'edit'; limit: RateLimit };

/** Per entry point and per source IP: a token bucket, and fail2ban-style bans for sources that keep hitting it. */
export function RateLimitsPanel() {
  const limits = useAppStore((state) => state.firewall.state?.rateLimits ?? NO_LIMITS);
  const listeners = useAppStore((state) => state.overview.latest?.listeners ?? NO_LISTENERS);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [removing, setRemoving] = useState<RateLimit | null>(null);
  const free = listeners.filter((l) => !limits.some((limit) => limit.listener === l.name));

  return (
    <section className="panel" aria-labelledby="rate-limits-title">
      <header className="panel-header">
        <div className="panel-title">
          <h2 id="rate-limits-title">Rate limits</h2>
          <span className="panel-meta">per source IP</span>
        </div>
        <button type="button" className="button" onClick={() => setEditing({ kind: 'new' })} disabled={free.length === 0} title={free.length === 0 ? 'Every entry point has a limit' : undefined} data-testid="add-rate-limit">
          <PlusIcon />
          Add limit
        </button>
      </header>
      {limits.length === 0 ? (
        <p className="panel-empty">No rate limits: a source may open as many connections as it likes.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table compact-table" data-testid="rate-limits-table">
            <thead>
              <tr>
                <th scope="col">Entry point</th>
                <th scope="col">Limit per source</th>
                <ActionsHeader className="col-actions" />
              </tr>
            </thead>
            <tbody>
              {limits.map((limit) => (
                <tr key={limit.listener} data-testid="rate-limit-row" data-listener={limit.listener}>
                  <td className="strong">{limit.listener}</td>
                  <td className="numeric cell-wrap">
                    <span className="limit-rate">
                      {limit.ratePerSecond}/s, burst {limit.burst}
                    </span>
                    <span className="limit-ban" title={IPV6_PREFIX_HELP}>
                      IPv6 {limit.ipv6Prefix === 128 ? 'per address' : `per /${limit.ipv6Prefix}`}
                    </span>
                    <span className="limit-ban">
                      {limit.banAfter === 0
                        ? 'never bans'
                        : `ban after ${plural(limit.banAfter, 'refusal')} in ${formatDurationSeconds(limit.banWindowSeconds)}, for ${formatDurationSeconds(limit.banSeconds)}`}
                    </span>
                  </td>
                  <td className="col-actions">
                    <button type="button" className="icon-button icon-button-small" aria-label={`Edit the limit of ${limit.listener}`} title="Edit" onClick={() => setEditing({ kind: 'edit', limit })}>
                      <EditIcon size={14} />
                    </button>
                    <button
                      type="button"
                      className="icon-button icon-button-small icon-button-danger"
                      aria-label={`Remove the limit of ${limit.listener}`}
                      title="Remove"
                      onClick={() => setRemoving(limit)}
                    >
                      <TrashIcon size={14} />
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing ? <RateLimitDialog editing={editing} choices={editing.kind === 'new' ? free : listeners} onClose={() => setEditing(null)} /> : null}
      <RemoveRateLimitDialog limit={removing} onClose={() => setRemoving(null)} />
    </section>
  );
}

const fieldOf = (key: keyof RateLimitFormValues): RateLimitField =>
  key === 'banWindow' ? 'banWindowSeconds' : key === 'banDuration' ? 'banSeconds' : (key as RateLimitField);

function RateLimitDialog({ editing, choices, onClose }: { editing: Editing; choices: readonly ListenerStatus[]; onClose(): void }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const form = useForm<RateLimitField, RateLimitFormValues, ReturnType<typeof validateRateLimitForm>['value']>(
    () => rateLimitFormFromLimit(editing.kind === 'edit' ? editing.limit : null, choices[0]?.name ?? ''),
    validateRateLimitForm,
    fieldOf,
  );
  const { values, errors, hints, set } = form;
  const formId = 'rate-limit-form';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = form.validation.value;
    if (!value) return form.touchAll();
    const done = await run(`Could not save the limit of ${value.listener}`, () => api().setRateLimit(value), (error) =>
      form.setServerErrors(fieldErrorsFromServer(error, RATE_LIMIT_FIELDS)),
    );
    if (!done) return;
    useAppStore.getState().pushToast({ tone: 'success', title: 'Rate limit saved', message: `${value.listener}: ${value.ratePerSecond}/s per source, burst ${value.burst}.` });
    onClose();
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={editing.kind === 'new' ? 'Add a rate limit' : `Rate limit of ${editing.limit.listener}`}
      size="medium"
      testId="rate-limit-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={!form.validation.value || busy} data-testid="rate-limit-save">
            {busy ? 'Saving…' : 'Save limit'}
          </button>
        </>
      }
    >
      <form id={formId} className="form-grid" onSubmit={(event) => void submit(event)} noValidate>
        <FormField label="Entry point" field="listener" error={errors.listener} className="span-2">
          <select value={values.listener} disabled={editing.kind === 'edit'} onChange={(event) => set('listener', event.target.value)} data-testid="rate-limit-listener">
            {editing.kind === 'edit' && !choices.some((l) => l.name === values.listener) ? <option value={values.listener}>{values.listener}</option> : null}
            {choices.map((listener) => (
              <option key={listener.name} value={listener.name}>
                {listener.name} ({listener.protocol} {listener.port})
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Rate (per second)" field="ratePerSecond" error={errors.ratePerSecond} help="New connections or datagrams a source may open each second">
          <input type="text" inputMode="decimal" className="numeric" value={values.ratePerSecond} onChange={(event) => set('ratePerSecond', event.target.value)} data-testid="rate-limit-rate" />
        </FormField>
        <FormField label="Burst" field="burst" error={errors.burst} hint={hints.burst} help="How many it may open at once before the rate applies">
          <input type="text" inputMode="numeric" className="numeric" value={values.burst} onChange={(event) => set('burst', event.target.value)} data-testid="rate-limit-burst" />
        </FormField>
        <FormField label="Ban after (refusals)" field="banAfter" error={errors.banAfter} hint={hints.banAfter}>
          <input type="text" inputMode="numeric" className="numeric" value={values.banAfter} onChange={(event) => set('banAfter', event.target.value)} data-testid="rate-limit-ban-after" />
        </FormField>
        <FormField label="Within" field="banWindowSeconds" error={errors.banWindowSeconds} help="e.g. 60s or 5m">
          <input type="text" value={values.banWindow} onChange={(event) => set('banWindow', event.target.value)} data-testid="rate-limit-window" />
        </FormField>
        <FormField label="Ban for" field="banSeconds" error={errors.banSeconds} help="The blocklist entry's expiry, e.g. 10m or 1h">
          <input type="text" value={values.banDuration} onChange={(event) => set('banDuration', event.target.value)} data-testid="rate-limit-ban-for" />
        </FormField>
        <FormField label="IPv6 sources grouped by" field="ipv6Prefix" error={errors.ipv6Prefix} hint={hints.ipv6Prefix} help={IPV6_PREFIX_HELP}>
          <input type="text" inputMode="numeric" className="numeric" value={values.ipv6Prefix} onChange={(event) => set('ipv6Prefix', event.target.value)} data-testid="rate-limit-ipv6-prefix" />
        </FormField>
      </form>
    </Dialog>
  );
}

function RemoveRateLimitDialog({ limit, onClose }: { limit: RateLimit | null; onClose(): void }) {
  const api = useFirewallApi();
  return (
    <RemoveDialog
      target={limit}
      title={() => 'Remove this rate limit?'}
      confirmLabel="Remove limit"
      failure={(target) => `Could not remove the limit of ${target.listener}`}
      remove={(target) => api().removeRateLimit({ listener: target.listener })}
      removed={(target) => ({ title: 'Rate limit removed', message: `${target.listener} no longer limits sources.` })}
      onClose={onClose}
    >
      {(target) => (
        <p>
          Sources connecting to <strong>{target.listener}</strong> will no longer be limited or banned. Bans already on the blocklist stay until they
          expire.
        </p>
      )}
    </RemoveDialog>
  );
}
