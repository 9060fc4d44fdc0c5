import { useCallback, type FormEvent } from 'react';
import { FormField, useForm } from '../../components/index.ts';
import { useAppStore, type RouterRow } from '../../store/index.ts';
import { selectHttpEntryPointNames, selectMiddlewareNames, selectServiceNames } from './common.tsx';
import { MiddlewareChain, TogglePills } from './inputs.tsx';
import { ItemDialog } from './ItemDialog.tsx';
import {
  emptyRouterForm,
  HTTP_METHODS,
  REDIRECT_STATUSES,
  ROUTER_FIELD_TABLE,
  routerFormFromConfig,
  validateRouterForm,
  type RouterField,
  type RouterFormValues,
} from './router-form.ts';
import { useItemSave } from './use-item-save.ts';

export type RouterDialogTarget = { kind: 'new' } | { kind: 'edit'; row: RouterRow };

const PATH_HELP: Record<RouterFormValues['pathKind'], string> = {
  any: 'Every path',
  exact: 'Only this path, e.g. /healthz',
  prefix: 'This path and below, on segment boundaries: /api matches /api/x, never /apix',
  pattern: 'Segments with parameters, e.g. /users/:id/orders/:order, and a trailing /* for the rest',
};

export function RouterDialog({ target, onClose }: { target: RouterDialogTarget; onClose(): void }) {
  const services = useAppStore(selectServiceNames);
  const middlewares = useAppStore(selectMiddlewareNames);
  const entryPoints = useAppStore(selectHttpEntryPointNames);
  const validate = useCallback((values: RouterFormValues) => validateRouterForm(values, { services, middlewares }), [services, middlewares]);
  const form = useForm<RouterField, RouterFormValues, ReturnType<typeof validateRouterForm>['value']>(
    () => (target.kind === 'edit' ? routerFormFromConfig(target.row.config, target.row.name) : emptyRouterForm(services[0] ?? '')),
    validate,
    routerFieldOf,
  );
  const { values, errors, hints, set } = form;
  const { busy, save } = useItemSave('router', form, ROUTER_FIELD_TABLE, target.kind === 'new');
  const value = form.validation.value;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const name = await save();
    if (name === undefined) return;
    useAppStore.getState().selectRouter(name);
    onClose();
  };

  return (
    <ItemDialog
      kind="router"
      existingName={target.kind === 'edit' ? target.row.name : null}
      form={form}
      onClose={onClose}
      onSubmit={submit}
      note="Written to the config file and applied at once; in-flight requests finish on the old routes."
      submitDisabled={!value || busy}
      busy={busy}
      namePlaceholder="e.g. api"
      nameHelp={target.kind === 'edit' ? 'To rename, add a new router and delete this one' : undefined}
      nameTestId="router-name"
    >
      <FormField label="Priority" field="priority" error={errors.priority} help="Empty: the most specific match wins">
        <input
          type="text"
          inputMode="numeric"
          className="numeric"
          value={values.priority}
          onChange={(event) => set('priority', event.target.value)}
          onBlur={() => form.touch('priority')}
          placeholder="auto"
          autoComplete="off"
          data-testid="router-priority"
        />
      </FormField>
      <FormField label="Entry points" field="entryPoints" error={errors.entryPoints} help="None ticked: every http entry point">
        <TogglePills
          options={entryPoints}
          selected={values.entryPoints}
          onChange={(next) => set('entryPoints', next)}
          empty="No http entry points are configured"
          testId="router-entrypoints"
        />
      </FormField>
      <FormField label="Methods" field="methods" error={errors.methods} help="None ticked: any method">
        <TogglePills options={HTTP_METHODS} selected={values.methods} onChange={(next) => set('methods', next)} testId="router-methods" />
      </FormField>
      <FormField label="Hosts" field="hosts" error={errors.hosts} help="Separated by commas; *.example.com for a wildcard; empty: any host" className="span-2">
        <input
          type="text"
          className="mono"
          value={values.hosts}
          onChange={(event) => set('hosts', event.target.value)}
          onBlur={() => form.touch('hosts')}
          placeholder="any host"
          autoComplete="off"
          spellCheck={false}
          data-testid="router-hosts"
        />
      </FormField>
      <div className="span-2 gw-path-row">
        <FormField label="Path match" field="pathKind">
          <select value={values.pathKind} onChange={(event) => set('pathKind', event.target.value as RouterFormValues['pathKind'])} data-testid="router-path-kind">
            <option value="any">Any path</option>
            <option value="prefix">Prefix</option>
            <option value="exact">Exact</option>
            <option value="pattern">Pattern</option>
          </select>
        </FormField>
        <FormField label="Path" field="path" error={errors.path} help={PATH_HELP[values.pathKind]}>
          <input
            type="text"
            className="mono"
            value={values.pathValue}
            onChange={(event) => set('pathValue', event.target.value)}
            onBlur={() => form.touch('path')}
            disabled={values.pathKind === 'any'}
            placeholder={values.pathKind === 'pattern' ? '/users/:id' : '/api'}
            autoComplete="off"
            spellCheck={false}
            data-testid="router-path"
          />
        </FormField>
      </div>
      <FormField label="Headers" field="headers" error={errors.headers} help="Name: value per line; value * means present">
        <textarea
          className="mono"
          rows={2}
          value={values.headers}
          onChange={(event) => set('headers', event.target.value)}
          onBlur={() => form.touch('headers')}
          placeholder="x-tenant: acme"
          spellCheck={false}
          data-testid="router-headers"
        />
      </FormField>
      <FormField label="Query" field="query" error={errors.query} help="key=value per line; value * means present">
        <textarea
          className="mono"
          rows={2}
          value={values.query}
          onChange={(event) => set('query', event.target.value)}
          onBlur={() => form.touch('query')}
          placeholder="version=2"
          spellCheck={false}
          data-testid="router-query"
        />
      </FormField>
      <FormField label="Middlewares" field="middlewares" error={errors.middlewares} hint={hints.middlewares} help="Run in the order ticked, before the service" className="span-2">
        <MiddlewareChain options={middlewares} selected={values.middlewares} onChange={(next) => set('middlewares', next)} />
      </FormField>
      <div className="span-2 gw-target">
        <div className="segmented" role="radiogroup" aria-label="Send to">
          {(['service', 'redirect'] as const).map((kind) => (
            <button
              key={kind}
              type="button"
              role="radio"
              aria-checked={values.target === kind}
              className={`segment${values.target === kind ? ' is-active gw-segment-active' : ''}`}
              onClick={() => set('target', kind)}
              data-testid={`router-target-${kind}`}
            >
              {kind === 'service' ? 'Service' : 'Redirect'}
            </button>
          ))}
        </div>
      </div>
      {values.target === 'service' ? (
        <FormField label="Service" field="service" error={errors.service} hint={hints.service} className="span-2">
          <select value={values.service} onChange={(event) => set('service', event.target.value)} data-testid="router-service">
            <option value="" disabled>
              {services.length === 0 ? 'No services yet' : 'Pick a service'}
            </option>
            {(values.service === '' || services.includes(values.service) ? services : [...services, values.service]).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </FormField>
      ) : (
        <>
          <FormField label="Redirect to" field="redirect" error={errors.redirect} help="A URL or a path; $path is the request's path and query">
            <input
              type="text"
              className="mono"
              value={values.redirectTo}
              onChange={(event) => set('redirectTo', event.target.value)}
              onBlur={() => form.touch('redirect')}
              placeholder="https://example.com$path"
              autoComplete="off"
              spellCheck={false}
              data-testid="router-redirect"
            />
          </FormField>
          <FormField label="Status" field="redirectStatus">
            <select value={values.redirectStatus} onChange={(event) => set('redirectStatus', event.target.value as RouterFormValues['redirectStatus'])}>
              {REDIRECT_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          </FormField>
        </>
      )}
      {values.target === 'service' ? (
        <>
          <FormField label="Strip prefix" field="stripPrefix" error={errors.stripPrefix} hint={hints.stripPrefix} help="Removed from the path before it goes upstream">
            <input
              type="text"
              className="mono"
              value={values.stripPrefix}
              onChange={(event) => set('stripPrefix', event.target.value)}
              onBlur={() => form.touch('stripPrefix')}
              placeholder="/api"
              autoComplete="off"
              spellCheck={false}
              data-testid="router-strip-prefix"
            />
          </FormField>
          <FormField label="Add prefix" field="addPrefix" error={errors.addPrefix} help="Put in front of the path after stripping">
            <input
              type="text"
              className="mono"
              value={values.addPrefix}
              onChange={(event) => set('addPrefix', event.target.value)}
              onBlur={() => form.touch('addPrefix')}
              placeholder="/v2"
              autoComplete="off"
              spellCheck={false}
              data-testid="router-add-prefix"
            />
          </FormField>
        </>
      ) : null}
      <label className="checkbox span-2">
        <input type="checkbox" checked={values.enabled} onChange={(event) => set('enabled', event.target.checked)} data-testid="router-enabled" />
        Enabled
      </label>
    </ItemDialog>
  );
}

/** Form keys that report under another field's name. */
function routerFieldOf(key: keyof RouterFormValues): RouterField {
  switch (key) {
    case 'pathKind':
    case 'pathValue':
      return 'path';
    case 'redirectTo':
    case 'redirectStatus':
    case 'target':
      return 'redirect';
    default:
      return key as RouterField;
  }
}
