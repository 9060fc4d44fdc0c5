import { useState, type FormEvent } from 'react';
import type { firewallTestResult, ListenerStatus } from '../../../shared/contract/index.ts';
import type { z } from 'zod';
import { FormField, useAction, useForm } from '../../components/index.ts';
import { filterRules, useAppStore } from '../../store/index.ts';
import { ActionBadge, useFirewallApi } from './common.tsx';
import { reasonLabel } from './format.ts';
import { fieldErrorsFromServer, TEST_FIELDS, validateTestForm, type TestField, type TestFormValues } from './validation.ts';

type TestResult = z.output<typeof firewallTestResult>;

const NO_LISTENERS: readonly ListenerStatus[] = [];

/** Asks the engine what it would do with a connection, without making one. */
export function TestPanel() {
  const api = useFirewallApi();
  const listeners = useAppStore((state) => state.overview.latest?.listeners ?? NO_LISTENERS);
  const { busy, run } = useAction();
  const form = useForm<TestField, TestFormValues, ReturnType<typeof validateTestForm>['value']>(
    { protocol: 'tcp', source: '', destination: 'any', port: '' },
    validateTestForm,
  );
  const [result, setResult] = useState<{ result: TestResult; asked: string } | null>(null);
  const { values, errors, set } = form;

  const chooseDestination = (name: string) => {
    set('destination', name);
    // An entry point has one port: fill it in, unless the operator typed another.
    const listener = listeners.find((l) => l.name === name);
    if (listener && (values.port === '' || listeners.some((l) => String(l.port) === values.port))) {
      set('port', String(listener.port));
      if (listener.protocol !== values.protocol) set('protocol', listener.protocol);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = form.validation.value;
    if (!value) return form.touchAll();
    const answer = await run('Could not test the connection', () => api().test(value), (error) => form.setServerErrors(fieldErrorsFromServer(error, TEST_FIELDS)));
    if (answer) setResult({ result: answer, asked: `${value.protocol.toUpperCase()} ${value.source} → ${value.destination}:${value.port}` });
  };

  return (
    <section className="panel" aria-labelledby="test-title">
      <header className="panel-header">
        <h2 id="test-title">Test a connection</h2>
        <span className="panel-meta">nothing is sent</span>
      </header>
      <form className="panel-body test-form" onSubmit={(event) => void submit(event)} noValidate>
        <FormField label="Protocol" field="protocol" error={errors.protocol}>
          <select value={values.protocol} onChange={(event) => set('protocol', event.target.value as TestFormValues['protocol'])} data-testid="test-protocol">
            <option value="tcp">TCP</option>
            <option value="udp">UDP</option>
          </select>
        </FormField>
        <FormField label="Source IP" field="source" error={errors.source}>
          <input
            type="text"
            className="mono"
            value={values.source}
            onChange={(event) => set('source', event.target.value)}
            onBlur={() => form.touch('source')}
            placeholder="203.0.113.7"
            spellCheck={false}
            autoComplete="off"
            data-testid="test-source"
          />
        </FormField>
        <FormField label="Destination" field="destination" error={errors.destination}>
          <select value={values.destination} onChange={(event) => chooseDestination(event.target.value)} data-testid="test-destination">
            <option value="any">any</option>
            {listeners.map((listener) => (
              <option key={listener.name} value={listener.name}>
                {listener.name} ({listener.protocol} {listener.port})
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Port" field="port" error={errors.port}>
          <input
            type="text"
            inputMode="numeric"
            className="numeric"
            value={values.port}
            onChange={(event) => set('port', event.target.value)}
            onBlur={() => form.touch('port')}
            placeholder="443"
            autoComplete="off"
            data-testid="test-port"
          />
        </FormField>
        <div className="test-submit">
          <button type="submit" className="button button-primary" data-testid="test-submit" disabled={!form.validation.value || busy}>
            {busy ? 'Testing…' : 'Test'}
          </button>
        </div>
      </form>
      {result ? <TestResultView result={result.result} asked={result.asked} /> : null}
    </section>
  );
}

function TestResultView({ result, asked }: { result: TestResult; asked: string }) {
  const highlight = useAppStore((state) => state.highlightRule);
  const setFilter = useAppStore((state) => state.setRuleFilterText);
  const ruleExists = useAppStore((state) => result.ruleId !== null && (state.firewall.state?.rules.some((rule) => rule.id === result.ruleId) ?? false));
  const showRule = () => {
    if (result.ruleId === null) return;
    // A filter that hides the rule would make the highlight invisible.
    const { firewall } = useAppStore.getState();
    const rule = firewall.state?.rules.find((r) => r.id === result.ruleId);
    if (rule && filterRules([rule], firewall.ruleFilterText).length === 0) setFilter('');
    highlight(result.ruleId);
  };
  return (
    <div className={`test-result test-result-${result.action}`} data-testid="test-result" data-action={result.action} data-rule-id={result.ruleId ?? undefined} role="status">
      <div className="test-result-head">
        <ActionBadge action={result.action} />
        <span className="mono test-result-asked">{asked}</span>
      </div>
      <dl className="test-result-fields">
        <div>
          <dt>Reason</dt>
          <dd data-testid="test-result-reason">{reasonLabel(result.reason)}</dd>
        </div>
        <div>
          <dt>Rule</dt>
          <dd>
            {result.ruleId === null ? (
              <span className="muted">none</span>
            ) : ruleExists ? (
              <button type="button" className="link-button" onClick={showRule} data-testid="test-result-rule">
                {result.ruleName ?? result.ruleId}
              </button>
            ) : (
              <span>{result.ruleName ?? result.ruleId}</span>
            )}
          </dd>
        </div>
      </dl>
      <p className="test-result-explanation">{result.explanation}</p>
    </div>
  );
}
