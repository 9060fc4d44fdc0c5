import { useEffect, useId, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { routeTestResult } from '../../../shared/contract/index.ts';
import { FormField, useAction, useForm } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { formatLatency, selectHttpEntryPointNames, useGatewayApi } from './common.tsx';
import { HTTP_METHODS } from './router-form.ts';
import { emptyTestForm, validateTestForm, type TestField, type TestFormValues } from './tester-form.ts';

type RouteTestResult = z.infer<typeof routeTestResult>;

/** Sends one real request through an entry point and shows what came back, and who answered. */
export function RouteTester() {
  const entryPoints = useAppStore(selectHttpEntryPointNames);
  const presetSeq = useAppStore((state) => state.gateway.presetSeq);
  const form = useForm<TestField, TestFormValues, ReturnType<typeof validateTestForm>['value']>(emptyTestForm, validateTestForm);
  const { values, errors, hints, set, reset } = form;
  const [result, setResult] = useState<RouteTestResult | null>(null);
  const { busy, run } = useAction();
  const api = useGatewayApi();
  const formId = useId();

  // A router's or a request's "test" button fills the form, even when the tester is already open.
  useEffect(() => {
    const state = useAppStore.getState();
    const preset = state.gateway.testerPreset;
    if (!preset) return;
    state.takeTesterPreset();
    reset({ ...emptyTestForm(), ...preset });
  }, [presetSeq, reset]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = form.validation.value;
    if (!value) return form.touchAll();
    const answer = await run('The test request failed', () => api().test(value));
    if (answer) setResult(answer);
  };

  return (
    <div className="gw-tester">
      <section className="panel" aria-labelledby="gw-tester-title">
        <header className="panel-header">
          <h2 id="gw-tester-title">Request</h2>
        </header>
        <form id={formId} className="form-grid gw-form panel-body" onSubmit={(event) => void submit(event)} noValidate>
          <FormField label="Entry point" field="entryPoint" error={errors.entryPoint}>
            <select value={values.entryPoint} onChange={(event) => set('entryPoint', event.target.value)} data-testid="tester-entrypoint">
              <option value="">{entryPoints.length === 0 ? 'No http entry points' : `Default (${entryPoints[0]})`}</option>
              {entryPoints.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </FormField>
          <FormField label="Method" field="method" error={errors.method}>
            <select value={values.method} onChange={(event) => set('method', event.target.value)} data-testid="tester-method">
              {(HTTP_METHODS as readonly string[]).includes(values.method) ? null : <option value={values.method}>{values.method}</option>}
              {HTTP_METHODS.map((method) => (
                <option key={method} value={method}>
                  {method}
                </option>
              ))}
            </select>
          </FormField>
          <FormField label="Path" field="path" error={errors.path} help="With the query, e.g. /api/users?id=1" className="span-2">
            <input
              type="text"
              className="mono"
              value={values.path}
              onChange={(event) => set('path', event.target.value)}
              onBlur={() => form.touch('path')}
              autoComplete="off"
              spellCheck={false}
              data-testid="tester-path"
            />
          </FormField>
          <FormField label="Host" field="host" error={errors.host} help="Empty: the entry point's address" className="span-2">
            <input
              type="text"
              className="mono"
              value={values.host}
              onChange={(event) => set('host', event.target.value)}
              placeholder="api.example.com"
              autoComplete="off"
              spellCheck={false}
              data-testid="tester-host"
            />
          </FormField>
          <FormField label="Headers" field="headers" error={errors.headers} help="Name: value per line" className="span-2">
            <textarea
              className="mono"
              rows={3}
              value={values.headers}
              onChange={(event) => set('headers', event.target.value)}
              onBlur={() => form.touch('headers')}
              placeholder="x-api-key: nok_…"
              spellCheck={false}
              data-testid="tester-headers"
            />
          </FormField>
          <FormField label="Body" field="body" error={errors.body} hint={hints.body} className="span-2">
            <textarea
              className="mono"
              rows={3}
              value={values.body}
              onChange={(event) => set('body', event.target.value)}
              spellCheck={false}
              data-testid="tester-body"
            />
          </FormField>
          <div className="span-2 gw-tester-actions">
            <button type="submit" className="button button-primary" disabled={busy} data-testid="tester-send">
              {busy ? 'Sending…' : 'Send request'}
            </button>
          </div>
        </form>
      </section>
      <TestResultView result={result} busy={busy} />
    </div>
  );
}

function statusTone(status: number): string {
  if (status >= 500) return 'danger';
  if (status >= 400) return 'warning';
  if (status >= 300) return 'neutral';
  return 'ok';
}

function TestResultView({ result, busy }: { result: RouteTestResult | null; busy: boolean }) {
  if (!result) {
    return (
      <section className="panel gw-test-result is-empty" aria-label="Response">
        <p className="panel-empty">{busy ? 'Waiting for the answer…' : 'The response shows here: status, headers, body, timing, and the router, service and instance that answered.'}</p>
      </section>
    );
  }
  return (
    <section className="panel gw-test-result" aria-label="Response" data-testid="tester-result" data-status={result.status}>
      <header className="panel-header">
        <div className="panel-title">
          <span className={`gw-status-big gw-status-${statusTone(result.status)} numeric`} data-testid="tester-status">
            {result.status}
          </span>
          <span className="numeric" title="Until the whole response arrived">
            total {formatLatency(result.totalMs)}
          </span>
          <span className="numeric muted" title="Until the response head arrived">
            first byte {formatLatency(result.firstByteMs)}
          </span>
        </div>
        <span className="panel-meta mono" title="The request id, as the inspector shows it">
          {result.requestId}
        </span>
      </header>
      <dl className="gw-route-path" data-testid="tester-route">
        <div>
          <dt>Router</dt>
          <dd className="mono">{result.router ?? <span className="muted">none matched</span>}</dd>
        </div>
        <div>
          <dt>Service</dt>
          <dd className="mono">{result.service ?? '–'}</dd>
        </div>
        <div>
          <dt>Instance</dt>
          <dd className="mono">{result.instance ?? '–'}</dd>
        </div>
      </dl>
      <details className="gw-headers" open={result.headers.length <= 12}>
        <summary>
          {result.headers.length} response header{result.headers.length === 1 ? '' : 's'}
        </summary>
        <table className="data-table compact-table">
          <tbody>
            {result.headers.map(([name, value], i) => (
              <tr key={`${name}-${i}`}>
                <th scope="row" className="mono">
                  {name}
                </th>
                <td className="mono gw-header-value">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <div className="gw-body">
        <div className="gw-body-label muted">
          Body{result.bodyTruncated ? ' (first 64 KiB)' : ''}
          {result.body === '' ? ': empty' : ''}
        </div>
        {result.body !== '' ? (
          <pre className="gw-body-text" data-testid="tester-body-text">
            {result.body}
          </pre>
        ) : null}
      </div>
    </section>
  );
}
