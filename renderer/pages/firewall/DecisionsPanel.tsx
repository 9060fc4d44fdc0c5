import { createContext, useCallback, useContext, useState } from 'react';
import type { FirewallDecision } from '../../../shared/contract/index.ts';
import { formatClock, formatCount, formatTimestamp, PauseIcon, PlayIcon, VirtualTable, type VirtualColumn } from '../../components/index.ts';
import { selectDecisionsView, useAppStore, type AppState } from '../../store/index.ts';
import { ActionBadge } from './common.tsx';
import { reasonLabel } from './format.ts';
import { RuleFormDialog } from './RuleFormDialog.tsx';
import { decisionTakesRule, ruleDraftFromDecision } from './validation.ts';

/** Opens the rule form turned around from a decision; module-level columns reach the panel through this. */
const DraftContext = createContext<(decision: FirewallDecision) => void>(() => undefined);

/** Recent accept-time decisions, newest first, as the engine made them. */
export function DecisionsPanel() {
  const view = useAppStore(selectDecisionsView);
  const paused = useAppStore((state) => state.decisions.frozen !== null);
  const loaded = useAppStore((state) => state.decisions.loaded);
  const arrivedWhilePaused = useAppStore(selectArrivedWhilePaused);
  const filter = useAppStore((state) => state.decisions.filter);
  const setPaused = useAppStore((state) => state.setDecisionsPaused);
  const setFilter = useAppStore((state) => state.setDecisionsFilter);
  const [draft, setDraft] = useState<FirewallDecision | null>(null);

  return (
    <section className="panel decisions-panel" aria-labelledby="decisions-title">
      <header className="panel-header">
        <div className="panel-title">
          <h2 id="decisions-title">Live decisions</h2>
          <span className={`live-pill${paused || !loaded ? '' : ' is-live'}`}>
            <span className="live-dot" aria-hidden="true" />
            {paused ? 'Paused' : loaded ? 'Live' : 'Waiting'}
          </span>
          <span className="panel-meta numeric" data-testid="decisions-count">
            {view.rows.length === view.total ? formatCount(view.total) : `${formatCount(view.rows.length)} of ${formatCount(view.total)}`}
          </span>
        </div>
        <div className="panel-actions">
          <label className="select">
            <span className="select-label">Action</span>
            <select value={filter.action} onChange={(event) => setFilter({ action: event.target.value as typeof filter.action })} data-testid="decisions-action">
              <option value="all">All</option>
              <option value="allow">allow</option>
              <option value="deny">deny</option>
            </select>
          </label>
          <input
            type="search"
            className="input-compact"
            value={filter.text}
            onChange={(event) => setFilter({ text: event.target.value })}
            placeholder="Filter source, destination, rule"
            aria-label="Filter decisions"
            spellCheck={false}
            autoComplete="off"
            data-testid="decisions-filter"
          />
          <button type="button" className={`button${paused ? ' is-pressed' : ''}`} aria-pressed={paused} onClick={() => setPaused(!paused)} data-testid="decisions-pause">
            {paused ? <PlayIcon /> : <PauseIcon />}
            {paused ? (arrivedWhilePaused > 0 ? `Resume (${formatCount(arrivedWhilePaused)} new)` : 'Resume') : 'Pause'}
          </button>
        </div>
      </header>
      <DraftContext.Provider value={setDraft}>
        <VirtualTable
          rows={view.rows}
          columns={DECISION_COLUMNS}
          rowKey={decisionKey}
          rowHeight={28}
          rowClassName={decisionClass}
          ariaLabel="Firewall decisions"
          testId="decisions-table"
          rowTestId="decision-row"
          rowData={decisionData}
          idPrefix="decision"
          empty={<p className="muted">{!loaded ? 'Waiting for decisions…' : view.total === 0 ? 'No connections decided yet.' : 'No decisions match the filter.'}</p>}
        />
      </DraftContext.Provider>
      {draft ? (
        <RuleFormDialog target={{ kind: 'new', preset: ruleDraftFromDecision(draft, useAppStore.getState().firewall.state?.rules ?? []) }} onClose={() => setDraft(null)} />
      ) : null}
    </section>
  );
}

/** Decisions newer than the newest one on screen while the feed is paused. */
function selectArrivedWhilePaused(state: AppState): number {
  const { frozen, rows } = state.decisions;
  if (frozen === null) return 0;
  const newest = frozen[0]?.at ?? -Infinity;
  let count = 0;
  for (const row of rows.values()) if (row.at > newest) count++;
  return count;
}

const decisionKey = (row: FirewallDecision) => row.id;
const decisionData = (row: FirewallDecision) => ({ action: row.action, source: row.source, reason: row.reason });
const decisionClass = (row: FirewallDecision) => (row.action === 'deny' ? 'is-denied' : undefined);

function RuleLink({ decision }: { decision: FirewallDecision }) {
  const highlight = useAppStore((state) => state.highlightRule);
  const onClick = useCallback(() => decision.ruleId && highlight(decision.ruleId), [decision.ruleId, highlight]);
  if (decision.ruleId === null) return <span className="muted">–</span>;
  return (
    <button type="button" className="link-button" onClick={onClick} title="Show the rule">
      {decision.ruleName ?? decision.ruleId}
    </button>
  );
}

/** "Deny…" on an allowed connection, "Allow…" on a denied one: the rule form, filled in to decide it the other way. */
function TurnAround({ decision }: { decision: FirewallDecision }) {
  const open = useContext(DraftContext);
  if (!decisionTakesRule(decision)) return null;
  const action = decision.action === 'allow' ? 'Deny' : 'Allow';
  return (
    <button
      type="button"
      className="button button-small"
      title={`A rule to ${action.toLowerCase()} ${decision.source} on ${decision.destination} port ${decision.port}, ahead of the one that decided this`}
      onClick={() => open(decision)}
      data-testid="decision-turn-around"
    >
      {action}…
    </button>
  );
}

const DECISION_COLUMNS: readonly VirtualColumn<FirewallDecision>[] = [
  { key: 'at', header: 'Time', width: 92, mono: true, cell: (d) => formatClock(d.at), title: (d) => formatTimestamp(d.at) },
  { key: 'protocol', header: 'Proto', width: 64, cell: (d) => <span className="tag">{d.protocol}</span> },
  { key: 'source', header: 'Source', width: 150, mono: true, cell: (d) => d.source, title: (d) => d.source },
  { key: 'destination', header: 'Destination', width: 130, mono: true, dropOrder: 2, cell: (d) => d.destination, title: (d) => d.destination },
  { key: 'port', header: 'Port', width: 64, align: 'end', mono: true, cell: (d) => d.port },
  { key: 'action', header: 'Action', width: 76, cell: (d) => <ActionBadge action={d.action} /> },
  { key: 'reason', header: 'Reason', width: 112, dropOrder: 1, cell: (d) => reasonLabel(d.reason) },
  { key: 'rule', header: 'Rule', width: 140, grow: true, cell: (d) => <RuleLink decision={d} />, title: (d) => d.ruleName ?? '' },
  { key: 'turn', header: '', width: 88, cell: (d) => <TurnAround decision={d} /> },
];
