import { type FormEvent, type ReactNode } from 'react';
import type { GatewayMiddlewareStatus } from '../../../shared/contract/index.ts';
import { FormField, useForm } from '../../components/index.ts';
import type { FieldTable } from './form-model.ts';
import { ItemDialog } from './ItemDialog.tsx';
import {
  emptyMiddlewareForm,
  MIDDLEWARE_FIELDS,
  MIDDLEWARE_TYPE_LABELS,
  MIDDLEWARE_TYPES,
  middlewareFormFromConfig,
  validateMiddlewareForm,
  type MiddlewareField,
  type MiddlewareFormValues,
  type MiddlewareType,
} from './middleware-form.ts';
import { useItemSave } from './use-item-save.ts';

export type MiddlewareDialogTarget = { kind: 'new' } | { kind: 'edit'; middleware: GatewayMiddlewareStatus };

const SERVER_FIELDS: FieldTable<MiddlewareField> = MIDDLEWARE_FIELDS.map((field) => [[field], field] as const);

type TextKey = { [K in keyof MiddlewareFormValues]: MiddlewareFormValues[K] extends string ? K : never }[keyof MiddlewareFormValues] & MiddlewareField;

export function MiddlewareDialog({ target, onClose }: { target: MiddlewareDialogTarget; onClose(): void }) {
  const form = useForm<MiddlewareField, MiddlewareFormValues, ReturnType<typeof validateMiddlewareForm>['value']>(
    () => (target.kind === 'edit' ? middlewareFormFromConfig(target.middleware.config, target.middleware.name, target.middleware.type) : emptyMiddlewareForm()),
    validateMiddlewareForm,
    middlewareFieldOf,
  );
  const { values, errors, hints, set } = form;
  const { busy, save } = useItemSave('middleware', form, SERVER_FIELDS, target.kind === 'new');
  const value = form.validation.value;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const name = await save();
    if (name === undefined) return;
    onClose();
  };

  /** A text input (or a textarea when `rows` is given) bound to one field. */
  const text = (key: TextKey, label: string, options: { help?: string; placeholder?: string; rows?: number; mono?: boolean; span?: boolean } = {}): ReactNode => (
    <FormField key={key} label={label} field={key} error={errors[key]} hint={hints[key]} help={options.help} className={options.span ? 'span-2' : undefined}>
      {options.rows ? (
        <textarea
          className={options.mono === false ? undefined : 'mono'}
          rows={options.rows}
          value={values[key]}
          onChange={(event) => set(key, event.target.value)}
          onBlur={() => form.touch(key)}
          placeholder={options.placeholder}
          spellCheck={false}
          data-testid={`mw-${key}`}
        />
      ) : (
        <input
          type="text"
          className={options.mono === false ? undefined : 'mono'}
          value={values[key]}
          onChange={(event) => set(key, event.target.value)}
          onBlur={() => form.touch(key)}
          placeholder={options.placeholder}
          autoComplete="off"
          spellCheck={false}
          data-testid={`mw-${key}`}
        />
      )}
    </FormField>
  );

  const check = (key: 'dryRun' | 'allowCredentials', label: string) => (
    <label className="checkbox span-2" key={key}>
      <input type="checkbox" checked={values[key]} onChange={(event) => set(key, event.target.checked)} data-testid={`mw-${key}`} />
      {label}
    </label>
  );

  return (
    <ItemDialog
      kind="middleware"
      existingName={target.kind === 'edit' ? target.middleware.name : null}
      form={form}
      onClose={onClose}
      onSubmit={submit}
      note="Applies to every router that names it."
      submitDisabled={!value || busy}
      busy={busy}
      namePlaceholder="e.g. api-limit"
      nameTestId="mw-name"
    >
      <FormField label="Type" field="type" error={errors.type}>
        <select value={values.type} onChange={(event) => set('type', event.target.value as MiddlewareType)} disabled={target.kind === 'edit'} data-testid="mw-type">
          {MIDDLEWARE_TYPES.map((type) => (
            <option key={type} value={type}>
              {MIDDLEWARE_TYPE_LABELS[type]}
            </option>
          ))}
        </select>
      </FormField>
      {values.type === 'rateLimit' ? (
        <>
          {text('ratePerSecond', 'Requests per second', { help: 'Per key, refilled continuously', mono: false })}
          {text('burst', 'Burst', { help: 'Requests allowed at once', mono: false })}
          <FormField label="Key" field="keyKind">
            <select value={values.keyKind} onChange={(event) => set('keyKind', event.target.value as MiddlewareFormValues['keyKind'])} data-testid="mw-keyKind">
              <option value="ip">Client IP</option>
              <option value="apiKey">API key</option>
              <option value="header">A request header</option>
            </select>
          </FormField>
          {values.keyKind === 'header' ? text('keyHeader', 'Header', { placeholder: 'x-tenant' }) : <div />}
          {text('ipv6Prefix', 'IPv6 clients grouped by', { help: 'A prefix length: the addresses of one /64 share a bucket; 128: per address', mono: false })}
          {text('maxKeys', 'Keys kept', { help: 'Buckets held at once, about 65 bytes each (6.5 MB for 100,000)', mono: false })}
          {check('dryRun', 'Dry run: count what would be refused, refuse nothing')}
        </>
      ) : null}
      {values.type === 'apiKey' ? (
        <>
          {text('apiHeader', 'Header', { help: 'Authorization: Bearer <key> is accepted too' })}
          {text('allowKeyIds', 'Allowed key ids', { help: 'One per line; empty: any active key (see API keys)', rows: 3 })}
        </>
      ) : null}
      {values.type === 'bodyLimit' ? text('maxBytes', 'Max body bytes', { help: 'Larger requests get 413', mono: false }) : null}
      {values.type === 'headers' ? (
        <>
          {text('requestSet', 'Request: set', { help: 'Name: value per line', rows: 3, placeholder: 'x-forwarded-proto: https' })}
          {text('requestRemove', 'Request: remove', { help: 'Names, separated by commas', placeholder: 'cookie' })}
          {text('responseSet', 'Response: set', { help: 'Name: value per line', rows: 3, placeholder: 'strict-transport-security: max-age=63072000' })}
          {text('responseRemove', 'Response: remove', { help: 'Names, separated by commas', placeholder: 'server' })}
        </>
      ) : null}
      {values.type === 'cors' ? (
        <>
          {text('allowOrigins', 'Allowed origins', { help: 'One per line, or *', rows: 3, placeholder: 'https://app.example.com', span: true })}
          {text('allowMethods', 'Allowed methods', { help: 'Separated by commas' })}
          {text('maxAgeSeconds', 'Preflight max age (s)', { mono: false })}
          {text('allowHeaders', 'Allowed request headers', { help: 'Separated by commas' })}
          {text('exposeHeaders', 'Exposed response headers', { help: 'Separated by commas' })}
          {check('allowCredentials', 'Allow credentials (cookies, Authorization)')}
        </>
      ) : null}
      {values.type === 'firewall' ? (
        <>
          {text('allow', 'Allow', { help: 'One IP or CIDR per line; when set, only these pass', rows: 4, placeholder: '10.0.0.0/8' })}
          {text('deny', 'Deny', { help: 'One IP or CIDR per line; wins over allow', rows: 4, placeholder: '203.0.113.7' })}
        </>
      ) : null}
    </ItemDialog>
  );
}

function middlewareFieldOf(key: keyof MiddlewareFormValues): MiddlewareField {
  if (key === 'keyKind') return 'keyHeader';
  if (key === 'dryRun') return 'ratePerSecond';
  if (key === 'allowCredentials') return 'allowOrigins';
  return key as MiddlewareField;
}
