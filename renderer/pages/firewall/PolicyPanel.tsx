import { useState } from 'react';
import type { FirewallAction, ListenerStatus } from '../../../shared/contract/index.ts';
import { ConfirmDialog, formatEndpoint, useAction } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { useFirewallApi } from './common.tsx';

const NO_LISTENERS: readonly ListenerStatus[] = [];
const NO_POLICIES: Readonly<Record<string, FirewallAction>> = {};

/** What happens to a connection no rule matches: globally, and per entry point. */
export function PolicyPanel() {
  const api = useFirewallApi();
  const policy = useAppStore((state) => state.firewall.state?.defaultPolicy ?? 'allow');
  const overrides = useAppStore((state) => state.firewall.state?.listenerPolicies ?? NO_POLICIES);
  const listeners = useAppStore((state) => state.overview.latest?.listeners ?? NO_LISTENERS);
  const antiLockoutListener = useAppStore((state) => state.firewall.state?.antiLockoutListener ?? null);
  const { busy, run } = useAction();
  const [confirmDeny, setConfirmDeny] = useState(false);

  const setPolicy = async (next: FirewallAction) => {
    const done = await run('Could not change the default policy', () => api().setDefaultPolicy({ policy: next }));
    if (done) useAppStore.getState().pushToast({ tone: 'success', title: `Default policy: ${next}`, message: next === 'deny' ? 'Connections no rule allows are refused.' : 'Connections no rule denies are accepted.' });
  };
  const choose = (next: FirewallAction) => {
    if (next === policy || busy) return;
    if (next === 'deny') setConfirmDeny(true);
    else void setPolicy(next);
  };
  // Overrides for entry points that are not running stay visible, so they can be cleared.
  const names = [...new Set([...listeners.map((l) => l.name), ...Object.keys(overrides)])];
  const byName = new Map(listeners.map((l) => [l.name, l]));

  return (
    <section className="panel" aria-labelledby="policy-title">
      <header className="panel-header">
        <h2 id="policy-title">Default policy</h2>
        <span className="panel-meta">when no rule matches</span>
      </header>
      <div className="panel-body">
        <div className="segmented" role="radiogroup" aria-label="Default policy" data-testid="default-policy" data-policy={policy}>
          {(['allow', 'deny'] as const).map((option) => (
            <button
              key={option}
              type="button"
              role="radio"
              aria-checked={policy === option}
              className={`segment segment-${option}${policy === option ? ' is-active' : ''}`}
              data-value={option}
              disabled={busy}
              onClick={() => choose(option)}
            >
              {option === 'allow' ? 'Allow' : 'Deny'}
            </button>
          ))}
        </div>
        <p className="panel-note">
          {policy === 'allow'
            ? 'Open by default: only what a rule, the blocklist or a rate limit refuses is refused.'
            : 'Closed by default: only what a rule allows gets through.'}
        </p>
      </div>
      {names.length > 0 ? (
        <table className="data-table compact-table" data-testid="listener-policies">
          <thead>
            <tr>
              <th scope="col">Entry point</th>
              <th scope="col" className="align-end">
                Policy
              </th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => (
              <ListenerPolicyRow key={name} name={name} listener={byName.get(name)} override={overrides[name]} globalPolicy={policy} antiLockout={name === antiLockoutListener} />
            ))}
          </tbody>
        </table>
      ) : null}
      <ConfirmDialog
        open={confirmDeny}
        title="Deny by default?"
        confirmLabel="Deny by default"
        danger
        busy={busy}
        confirmTestId="confirm-default-deny"
        onCancel={() => setConfirmDeny(false)}
        onConfirm={() => {
          setConfirmDeny(false);
          void setPolicy('deny');
        }}
      >
        <p>
          Every new connection that no rule allows will be refused, on every entry point without its own policy. Make sure allow rules cover the
          clients you need before you switch.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function ListenerPolicyRow({
  name,
  listener,
  override,
  globalPolicy,
  antiLockout,
}: {
  name: string;
  listener: ListenerStatus | undefined;
  override: FirewallAction | undefined;
  globalPolicy: FirewallAction;
  /** The console: loopback clients reach it whatever the policy, rules and blocklist say. */
  antiLockout: boolean;
}) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const change = (value: string) => {
    if (value === 'inherit') void run(`Could not clear the policy of ${name}`, () => api().clearListenerPolicy({ listener: name }));
    else void run(`Could not set the policy of ${name}`, () => api().setDefaultPolicy({ policy: value as FirewallAction, listener: name }));
  };
  return (
    <tr data-testid="listener-policy" data-listener={name}>
      <td>
        <span className="strong">{name}</span>
        <span className="mono muted listener-address">
          {listener ? `${listener.protocol} ${formatEndpoint(listener.host, listener.port)}` : 'not running'}
        </span>
        {antiLockout ? (
          <span
            className="listener-note"
            data-testid="anti-lockout-note"
            title="So that no block, rule or policy can lock you out of this console: loopback clients always reach it. console.antiLockout: false in the config turns this off."
          >
            Loopback always admitted (anti-lockout)
          </span>
        ) : null}
      </td>
      <td className="align-end">
        <select
          className={`inline-select${override ? ` policy-${override}` : ''}`}
          value={override ?? 'inherit'}
          disabled={busy}
          aria-label={`Policy of ${name}`}
          onChange={(event) => change(event.target.value)}
        >
          <option value="inherit">Default ({globalPolicy})</option>
          <option value="allow">Allow</option>
          <option value="deny">Deny</option>
        </select>
      </td>
    </tr>
  );
}
