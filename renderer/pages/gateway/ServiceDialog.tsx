import { useState, type FormEvent } from 'react';
import type { GatewayServiceStatus } from '../../../shared/contract/index.ts';
import { FormField, PlusIcon, TrashIcon, useForm } from '../../components/index.ts';
import { ItemDialog } from './ItemDialog.tsx';
import {
  BALANCER_LABELS,
  BALANCERS,
  emptyServiceForm,
  sectionsSet,
  sectionSummary,
  SERVICE_FIELD_TABLE,
  serviceFormFromConfig,
  SETTING_SECTIONS,
  settingDefault,
  validateServiceForm,
  type Balancer,
  type InstanceRow,
  type SectionId,
  type ServiceField,
  type ServiceFormValues,
} from './service-form.ts';
import { useItemSave } from './use-item-save.ts';

export type ServiceDialogTarget = { kind: 'new' } | { kind: 'edit'; service: GatewayServiceStatus };

/** What an upstream pool is made with (see PoolRegistry): a change of any gives the service new pools. */
const POOL_KEYS = [...SETTING_SECTIONS.find((section) => section.id === 'pool')!.fields.map((setting) => setting.field), 'connectTimeoutMs'] as const;

/** A folded section's fields, for opening the sections that hold an error. */
function sectionFields(section: (typeof SETTING_SECTIONS)[number]): ServiceField[] {
  return [...section.fields.map((setting) => setting.field), ...(section.id === 'retry' ? (['retryOnStatus'] as const) : [])];
}

export function ServiceDialog({ target, onClose }: { target: ServiceDialogTarget; onClose(): void }) {
  const form = useForm<ServiceField, ServiceFormValues, ReturnType<typeof validateServiceForm>['value']>(
    () => (target.kind === 'edit' ? serviceFormFromConfig(target.service.config, target.service.name) : emptyServiceForm()),
    validateServiceForm,
    serviceFieldOf,
  );
  const { values, errors, hints, set } = form;
  // Row errors show as the operator types in that row, or for every row after a save attempt.
  const [touchedRows, setTouchedRows] = useState<ReadonlySet<number>>(() => new Set());
  const [attempted, setAttempted] = useState(false);
  // Sections holding a value other than the defaults start open; the others fold away.
  const [openSections, setOpenSections] = useState<ReadonlySet<SectionId>>(() => sectionsSet(values));
  // Upstream pools are keyed on their settings: changed, the service gets new pools and the old connections close once idle.
  const [initial] = useState(values);
  const poolChanged = target.kind === 'edit' && POOL_KEYS.some((key) => values[key].trim() !== initial[key].trim());
  const toggleSection = (id: SectionId, open: boolean) =>
    setOpenSections((current) => {
      if (current.has(id) === open) return current;
      const next = new Set(current);
      if (open) next.add(id);
      else next.delete(id);
      return next;
    });
  const { busy, save } = useItemSave('service', form, SERVICE_FIELD_TABLE, target.kind === 'new');

  const setRow = (index: number, patch: Partial<InstanceRow>) => {
    set(
      'instances',
      values.instances.map((row, i) => (i === index ? { ...row, ...patch } : row)),
    );
    setTouchedRows((current) => (current.has(index) ? current : new Set(current).add(index)));
  };
  const rowError = (index: number, leaf: 'url' | 'weight') =>
    attempted || touchedRows.has(index) ? form.validation.errors[`instances.${index}.${leaf}`] : undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setAttempted(true);
    // An error in a folded section opens it, so the operator sees what stops the save.
    for (const section of SETTING_SECTIONS) if (sectionFields(section).some((field) => form.validation.errors[field] !== undefined)) toggleSection(section.id, true);
    const name = await save();
    if (name === undefined) return;
    onClose();
  };

  return (
    <ItemDialog
      kind="service"
      existingName={target.kind === 'edit' ? target.service.name : null}
      form={form}
      onClose={onClose}
      onSubmit={submit}
      note={
        poolChanged
          ? 'New connection settings: the service opens fresh upstream connections, and the old ones close as their requests finish.'
          : 'Open upstream connections are kept for instances that stay.'
      }
      submitDisabled={busy}
      busy={busy}
      namePlaceholder="e.g. api"
      nameHelp={target.kind === 'edit' ? 'To rename, add a new service' : undefined}
      nameTestId="service-name"
    >
      <FormField label="Balancer" field="balancer" error={errors.balancer}>
        <select value={values.balancer} onChange={(event) => set('balancer', event.target.value as Balancer)} data-testid="service-balancer">
          {BALANCERS.map((balancer) => (
            <option key={balancer} value={balancer}>
              {BALANCER_LABELS[balancer]}
            </option>
          ))}
        </select>
      </FormField>
      {values.balancer === 'hash' ? (
        <FormField label="Hash on" field="hashOn" error={errors.hashOn} help="ip, header:NAME or cookie:NAME" className="span-2">
          <input type="text" className="mono" value={values.hashOn} onChange={(event) => set('hashOn', event.target.value)} autoComplete="off" spellCheck={false} />
        </FormField>
      ) : null}
      <fieldset className="span-2 gw-fieldset">
        <legend className="form-label">Instances</legend>
        <div className="gw-instances" data-testid="service-instances">
          {values.instances.map((row, index) => (
            <div className="gw-instance-row" key={index}>
              <FormField label={`URL ${index + 1}`} field={`instances.${index}.url`} error={rowError(index, 'url')}>
                <input
                  type="text"
                  className="mono"
                  value={row.url}
                  onChange={(event) => setRow(index, { url: event.target.value })}
                  placeholder="http://10.0.0.5:8080"
                  autoComplete="off"
                  spellCheck={false}
                  data-testid="instance-url"
                />
              </FormField>
              <FormField label="Weight" field={`instances.${index}.weight`} error={rowError(index, 'weight')}>
                <input
                  type="text"
                  inputMode="numeric"
                  className="numeric"
                  value={row.weight}
                  onChange={(event) => setRow(index, { weight: event.target.value })}
                  autoComplete="off"
                  data-testid="instance-weight"
                />
              </FormField>
              <label className="checkbox gw-instance-drain" title="Out of rotation: no new requests, those in flight finish, health checks go on">
                <input type="checkbox" checked={row.drain} onChange={(event) => setRow(index, { drain: event.target.checked })} data-testid="instance-drain" />
                Drain
              </label>
              <button
                type="button"
                className="icon-button icon-button-small icon-button-danger gw-instance-remove"
                aria-label={`Remove instance ${index + 1}`}
                onClick={() => set('instances', values.instances.filter((_, i) => i !== index))}
              >
                <TrashIcon />
              </button>
            </div>
          ))}
        </div>
        <div className="gw-instances-footer">
          <button type="button" className="button button-small" onClick={() => set('instances', [...values.instances, { url: '', weight: '1', drain: false }])} data-testid="instance-add">
            <PlusIcon />
            Add instance
          </button>
          {errors.instances ? (
            <span className="field-error" data-testid="field-error" data-field="instances">
              {errors.instances}
            </span>
          ) : hints.instances ? (
            <span className="field-hint">{hints.instances}</span>
          ) : (
            <span className="field-help">Weight 0 keeps an instance configured but out of rotation</span>
          )}
        </div>
      </fieldset>
      <label className="checkbox span-2">
        <input type="checkbox" checked={values.healthEnabled} onChange={(event) => set('healthEnabled', event.target.checked)} data-testid="service-health-enabled" />
        Active health check
      </label>
      {values.healthEnabled ? (
        <>
          <FormField label="Health path" field="healthPath" error={errors.healthPath}>
            <input type="text" className="mono" value={values.healthPath} onChange={(event) => set('healthPath', event.target.value)} autoComplete="off" spellCheck={false} />
          </FormField>
          <FormField label="Expected statuses" field="expectStatus" error={errors.expectStatus} help="Empty: any 2xx or 3xx">
            <input type="text" className="mono" value={values.expectStatus} onChange={(event) => set('expectStatus', event.target.value)} placeholder="200, 204" autoComplete="off" />
          </FormField>
          <FormField label="Interval (ms)" field="healthIntervalMs" error={errors.healthIntervalMs}>
            <input type="text" inputMode="numeric" className="numeric" value={values.healthIntervalMs} onChange={(event) => set('healthIntervalMs', event.target.value)} autoComplete="off" />
          </FormField>
          <FormField label="Timeout (ms)" field="healthTimeoutMs" error={errors.healthTimeoutMs}>
            <input type="text" inputMode="numeric" className="numeric" value={values.healthTimeoutMs} onChange={(event) => set('healthTimeoutMs', event.target.value)} autoComplete="off" />
          </FormField>
          <FormField label="Healthy after" field="healthyThreshold" error={errors.healthyThreshold} help="Passing checks in a row">
            <input type="text" inputMode="numeric" className="numeric" value={values.healthyThreshold} onChange={(event) => set('healthyThreshold', event.target.value)} autoComplete="off" />
          </FormField>
          <FormField label="Unhealthy after" field="unhealthyThreshold" error={errors.unhealthyThreshold} help="Failing checks in a row">
            <input type="text" inputMode="numeric" className="numeric" value={values.unhealthyThreshold} onChange={(event) => set('unhealthyThreshold', event.target.value)} autoComplete="off" />
          </FormField>
          <FormField label="Check method" field="healthMethod" error={errors.healthMethod} help="HEAD asks for no body">
            <select value={values.healthMethod} onChange={(event) => set('healthMethod', event.target.value === 'HEAD' ? 'HEAD' : 'GET')} data-testid="service-health-method">
              <option value="GET">GET</option>
              <option value="HEAD">HEAD</option>
            </select>
          </FormField>
          <FormField label="Check port" field="healthPort" error={errors.healthPort} help="An admin or status port; empty: the instance's own">
            <input type="text" inputMode="numeric" className="numeric" value={values.healthPort} onChange={(event) => set('healthPort', event.target.value)} placeholder="same" autoComplete="off" data-testid="service-health-port" />
          </FormField>
          <FormField label="Host header" field="healthHostname" error={errors.healthHostname} help="For a backend that serves by virtual host; empty: the instance's host:port" className="span-2">
            <input type="text" className="mono" value={values.healthHostname} onChange={(event) => set('healthHostname', event.target.value)} placeholder="status.example.com" autoComplete="off" spellCheck={false} data-testid="service-health-hostname" />
          </FormField>
          <FormField label="Check headers" field="healthHeaders" error={errors.healthHeaders} help="One Name: value a line, e.g. a token the health endpoint wants" className="span-2">
            <textarea
              className="mono"
              rows={2}
              value={values.healthHeaders}
              onChange={(event) => set('healthHeaders', event.target.value)}
              placeholder="Authorization: Bearer …"
              autoComplete="off"
              spellCheck={false}
              data-testid="service-health-headers"
            />
          </FormField>
        </>
      ) : null}
      <FormField label="Connect timeout (ms)" field="connectTimeoutMs" error={errors.connectTimeoutMs} help="Empty: 5000">
        <input type="text" inputMode="numeric" className="numeric" value={values.connectTimeoutMs} onChange={(event) => set('connectTimeoutMs', event.target.value)} placeholder="5000" autoComplete="off" />
      </FormField>
      <FormField label="Response timeout (ms)" field="requestTimeoutMs" error={errors.requestTimeoutMs} help="Until the response head; empty: 30000">
        <input type="text" inputMode="numeric" className="numeric" value={values.requestTimeoutMs} onChange={(event) => set('requestTimeoutMs', event.target.value)} placeholder="30000" autoComplete="off" />
      </FormField>
      <FormField
        label="Slow start (ms)"
        field="slowStartMs"
        error={errors.slowStartMs}
        hint={hints.slowStartMs}
        help="An instance coming back climbs from a tenth of its weight to all of it over this long; empty: off"
      >
        <input type="text" inputMode="numeric" className="numeric" value={values.slowStartMs} onChange={(event) => set('slowStartMs', event.target.value)} placeholder="off" autoComplete="off" data-testid="service-slow-start" />
      </FormField>
      {SETTING_SECTIONS.map((section) => {
        const failing = sectionFields(section).filter((field) => errors[field] !== undefined).length;
        return (
          <details
            key={section.id}
            className="span-2 gw-section"
            open={openSections.has(section.id)}
            onToggle={(event) => toggleSection(section.id, event.currentTarget.open)}
            data-testid={`service-section-${section.id}`}
          >
            <summary>
              <span className="gw-section-title">{section.title}</span>
              <span className="gw-section-summary" data-testid="service-section-summary">
                {sectionSummary(section, values)}
              </span>
              {failing > 0 ? <span className="gw-section-errors">{failing === 1 ? '1 error' : `${failing} errors`}</span> : null}
            </summary>
            <div className="form-grid gw-section-body">
              {section.fields.map((setting) => (
                <FormField key={setting.field} label={setting.label} field={setting.field} error={errors[setting.field]} hint={hints[setting.field]} help={setting.help}>
                  <input
                    type="text"
                    inputMode={'decimal' in setting ? 'decimal' : 'numeric'}
                    className="numeric"
                    value={values[setting.field]}
                    onChange={(event) => set(setting.field, event.target.value)}
                    placeholder={String(settingDefault(setting.field))}
                    autoComplete="off"
                    data-testid={`service-${setting.field}`}
                  />
                </FormField>
              ))}
              {section.id === 'retry' ? (
                <FormField label="Retried statuses" field="retryOnStatus" error={errors.retryOnStatus} help="Upstream answers retried; empty: none, only failures with no answer" className="span-2">
                  <input type="text" className="mono" value={values.retryOnStatus} onChange={(event) => set('retryOnStatus', event.target.value)} autoComplete="off" data-testid="service-retryOnStatus" />
                </FormField>
              ) : null}
            </div>
          </details>
        );
      })}
    </ItemDialog>
  );
}

function serviceFieldOf(key: keyof ServiceFormValues): ServiceField {
  if (key === 'healthEnabled' || key === 'kept' || key === 'healthKept') return 'healthPath';
  return key as ServiceField;
}
