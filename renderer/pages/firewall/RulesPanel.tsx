import { memo, useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { FirewallRule } from '../../../shared/contract/index.ts';
import {
  ActionsHeader,
  Age,
  ArrowDownIcon,
  ArrowUpIcon,
  ConfirmDialog,
  EditIcon,
  formatCount,
  formatTimestamp,
  PlusIcon,
  SEARCH_BOX_ATTRIBUTE,
  SearchIcon,
  TrashIcon,
  useAction,
} from '../../components/index.ts';
import { selectRulesView, useAppStore } from '../../store/index.ts';
import { ActionBadge, plural, useFirewallApi } from './common.tsx';
import { moveRule } from './rule-moves.ts';
import { RuleFormDialog, type RuleDialogTarget } from './RuleFormDialog.tsx';
import { completeRulePatch } from './validation.ts';

const HIGHLIGHT_MS = 2400;

/** Rules in evaluation order: the first enabled rule that matches decides. */
export function RulesPanel() {
  const view = useAppStore(selectRulesView);
  const filterText = useAppStore((state) => state.firewall.ruleFilterText);
  const setFilterText = useAppStore((state) => state.setRuleFilterText);
  const defaultPolicy = useAppStore((state) => state.firewall.state?.defaultPolicy ?? 'allow');
  const [dialog, setDialog] = useState<RuleDialogTarget | null>(null);
  const [deleting, setDeleting] = useState<FirewallRule | null>(null);
  const searchProps = { [SEARCH_BOX_ATTRIBUTE]: '' };
  const enabledCount = view.ordered.filter((rule) => rule.enabled).length;

  return (
    <section className="panel rules-panel" aria-labelledby="rules-title">
      <header className="panel-header">
        <div className="panel-title">
          <h2 id="rules-title">Rules</h2>
          <span className="panel-meta numeric">
            {view.rows.length === view.ordered.length ? formatCount(view.ordered.length) : `${formatCount(view.rows.length)} of ${formatCount(view.ordered.length)}`}
            {enabledCount !== view.ordered.length ? ` · ${formatCount(enabledCount)} enabled` : ''}
          </span>
        </div>
        <div className="panel-actions">
          <label className="search search-compact">
            <SearchIcon className="icon search-icon" />
            <span className="visually-hidden">Filter rules</span>
            <input
              type="search"
              value={filterText}
              onChange={(event) => setFilterText(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'Escape' && filterText) {
                  event.preventDefault();
                  setFilterText('');
                }
              }}
              placeholder="Filter rules"
              spellCheck={false}
              autoComplete="off"
              data-testid="rules-search"
              {...searchProps}
            />
          </label>
          <button type="button" className="button button-primary" data-testid="add-rule" onClick={() => setDialog({ kind: 'new' })}>
            <PlusIcon />
            Add rule
          </button>
        </div>
      </header>
      <RulesTable rows={view.rows} total={view.ordered.length} onEdit={(rule) => setDialog({ kind: 'edit', rule })} onDelete={setDeleting} />
      <footer className="panel-footer muted">
        No match falls through to the default policy: <strong className={`policy-text policy-${defaultPolicy}`}>{defaultPolicy}</strong>. Select a row and
        press <kbd>Alt</kbd>+<kbd>↑</kbd>/<kbd>↓</kbd> to move it.
      </footer>
      {dialog ? <RuleFormDialog target={dialog} onClose={() => setDialog(null)} /> : null}
      <DeleteRuleDialog rule={deleting} onClose={() => setDeleting(null)} />
    </section>
  );
}

function RulesTable({
  rows,
  total,
  onEdit,
  onDelete,
}: {
  rows: readonly FirewallRule[];
  total: number;
  onEdit(rule: FirewallRule): void;
  onDelete(rule: FirewallRule): void;
}) {
  const api = useFirewallApi();
  const selectedId = useAppStore((state) => state.firewall.selectedRuleId);
  const highlightedId = useAppStore((state) => state.firewall.highlightedRuleId);
  const highlightSeq = useAppStore((state) => state.firewall.highlightSeq);
  const pending = useAppStore((state) => state.firewall.pendingPriorities);
  const select = useAppStore((state) => state.selectRule);
  const scrollerRef = useRef<HTMLDivElement>(null);
  const [flashing, setFlashing] = useState<string | null>(null);

  useEffect(() => {
    if (highlightedId === null || highlightSeq === 0) return;
    const row = scrollerRef.current?.querySelector<HTMLElement>(`[data-id="${CSS.escape(highlightedId)}"]`);
    row?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    setFlashing(highlightedId);
    const timer = setTimeout(() => setFlashing(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlightedId, highlightSeq]);

  // Keeps the selected row visible inside the table as the keyboard moves the selection or the rule; never scrolls the page,
  // and a new state frame (every second) does nothing unless the row changed place.
  const selectedIndex = selectedId === null ? -1 : rows.findIndex((rule) => rule.id === selectedId);
  useEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller || selectedId === null || selectedIndex < 0) return;
    const row = scroller.querySelector<HTMLElement>(`[data-id="${CSS.escape(selectedId)}"]`);
    if (row) scrollWithin(scroller, row);
  }, [selectedId, selectedIndex]);

  const move = useCallback((id: string, direction: -1 | 1) => void moveRule(api, id, direction), [api]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    const onControl = target !== event.currentTarget && target.closest('button, input, select, a') !== null;
    const index = selectedId === null ? -1 : rows.findIndex((rule) => rule.id === selectedId);
    const selected = index >= 0 ? rows[index] : undefined;
    if ((event.key === 'ArrowUp' || event.key === 'ArrowDown') && event.altKey) {
      event.preventDefault();
      if (selected) move(selected.id, event.key === 'ArrowUp' ? -1 : 1);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case 'ArrowUp':
      case 'ArrowDown': {
        event.preventDefault();
        const next = index < 0 ? (event.key === 'ArrowDown' ? 0 : rows.length - 1) : index + (event.key === 'ArrowDown' ? 1 : -1);
        const rule = rows[Math.max(0, Math.min(rows.length - 1, next))];
        if (rule) select(rule.id);
        return;
      }
      case 'Home':
      case 'End': {
        event.preventDefault();
        const rule = event.key === 'Home' ? rows[0] : rows.at(-1);
        if (rule) select(rule.id);
        return;
      }
      case 'Enter':
        if (onControl || !selected) return;
        event.preventDefault();
        onEdit(selected);
        return;
      case 'Delete':
        if (!selected) return;
        event.preventDefault();
        onDelete(selected);
        return;
    }
  };

  return (
    <div
      ref={scrollerRef}
      className="rules-scroller"
      tabIndex={0}
      role="group"
      aria-label="Firewall rules. Arrow keys select, Alt+Arrow moves, Enter edits, Delete removes."
      onKeyDown={onKeyDown}
      data-testid="rules-table"
    >
      <table className="data-table rules-table">
        <thead>
          <tr>
            <th scope="col" className="align-end" title="Lower runs first">
              Priority
            </th>
            <th scope="col">Name</th>
            <th scope="col">Action</th>
            <th scope="col">Proto</th>
            <th scope="col">Source</th>
            <th scope="col">Destination</th>
            <th scope="col">Ports</th>
            <th scope="col" title="Enabled">
              On
            </th>
            <th scope="col" className="align-end" title="Connections this rule decided, and the last one">
              Hits
            </th>
            <ActionsHeader className="col-actions" />
          </tr>
        </thead>
        <tbody>
          {rows.map((rule, index) => (
            <RuleRow
              key={rule.id}
              rule={rule}
              first={index === 0}
              last={index === rows.length - 1}
              selected={rule.id === selectedId}
              flashing={rule.id === flashing}
              pending={pending.has(rule.id)}
              onSelect={select}
              onMove={move}
              onEdit={onEdit}
              onDelete={onDelete}
            />
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? (
        <div className="panel-empty" data-testid="rules-empty">
          {total === 0 ? 'No rules yet: every connection gets the default policy. Add one to allow or deny by source, destination and port.' : 'No rules match the filter.'}
        </div>
      ) : null}
    </div>
  );
}

/** Scrolls only the table's own box, below its sticky header. */
function scrollWithin(scroller: HTMLElement, row: HTMLElement): void {
  const box = scroller.getBoundingClientRect();
  const rect = row.getBoundingClientRect();
  const header = scroller.querySelector('thead')?.getBoundingClientRect().height ?? 0;
  if (rect.top < box.top + header) scroller.scrollTop -= box.top + header - rect.top;
  else if (rect.bottom > box.bottom) scroller.scrollTop += rect.bottom - box.bottom;
}

const RuleRow = memo(function RuleRow({
  rule,
  first,
  last,
  selected,
  flashing,
  pending,
  onSelect,
  onMove,
  onEdit,
  onDelete,
}: {
  rule: FirewallRule;
  first: boolean;
  last: boolean;
  selected: boolean;
  flashing: boolean;
  pending: boolean;
  onSelect(id: string): void;
  onMove(id: string, direction: -1 | 1): void;
  onEdit(rule: FirewallRule): void;
  onDelete(rule: FirewallRule): void;
}) {
  const className = [selected ? 'is-selected' : '', flashing ? 'is-flashing' : '', rule.enabled ? '' : 'is-disabled'].filter(Boolean).join(' ') || undefined;
  return (
    <tr
      className={className}
      data-testid="rule-row"
      data-id={rule.id}
      data-action={rule.action}
      aria-selected={selected}
      onClick={() => onSelect(rule.id)}
      onDoubleClick={() => onEdit(rule)}
    >
      <td className={`align-end numeric${pending ? ' is-pending' : ''}`} title={pending ? 'Saving the new order…' : undefined}>
        {rule.priority}
      </td>
      <td className="cell-name" title={rule.comment ? `${rule.name}\n${rule.comment}` : rule.name}>
        <span className="rule-name">{rule.name}</span>
        {rule.comment ? <span className="rule-comment">{rule.comment}</span> : null}
      </td>
      <td>
        <ActionBadge action={rule.action} />
      </td>
      <td>
        <span className="tag">{rule.protocol}</span>
      </td>
      <td className="mono cell-address" title={rule.source}>
        {rule.source}
      </td>
      <td className="mono cell-address" title={rule.destination}>
        {rule.destination}
      </td>
      <td className="mono cell-ports" title={rule.ports}>
        {rule.ports}
      </td>
      <td className="col-enabled">
        <EnabledSwitch rule={rule} />
      </td>
      <td className="align-end numeric cell-hits" title={rule.lastHitAt === null ? 'Never matched' : `Last hit ${formatTimestamp(rule.lastHitAt)}`}>
        <span className="hits-count" data-testid="rule-hits">
          {formatCount(rule.hits)}
        </span>
        <span className="hits-last">{rule.lastHitAt === null ? 'never' : <Age since={rule.lastHitAt} suffix=" ago" />}</span>
      </td>
      <td className="col-actions">
        <button
          type="button"
          className="icon-button icon-button-small"
          aria-label={`Move ${rule.name} up`}
          title="Move up (Alt+↑)"
          disabled={first}
          data-testid="rule-move-up"
          onClick={() => onMove(rule.id, -1)}
        >
          <ArrowUpIcon size={14} />
        </button>
        <button
          type="button"
          className="icon-button icon-button-small"
          aria-label={`Move ${rule.name} down`}
          title="Move down (Alt+↓)"
          disabled={last}
          data-testid="rule-move-down"
          onClick={() => onMove(rule.id, 1)}
        >
          <ArrowDownIcon size={14} />
        </button>
        <button type="button" className="icon-button icon-button-small" aria-label={`Edit ${rule.name}`} title="Edit (Enter)" onClick={() => onEdit(rule)}>
          <EditIcon size={14} />
        </button>
        <button
          type="button"
          className="icon-button icon-button-small icon-button-danger"
          aria-label={`Delete ${rule.name}`}
          title="Delete (Delete)"
          data-testid="delete-rule"
          onClick={() => onDelete(rule)}
        >
          <TrashIcon size={14} />
        </button>
      </td>
    </tr>
  );
});

function EnabledSwitch({ rule }: { rule: FirewallRule }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const toggle = () =>
    void run(`Could not ${rule.enabled ? 'disable' : 'enable'} "${rule.name}"`, () => api().updateRule({ id: rule.id, patch: completeRulePatch(rule, { enabled: !rule.enabled }) }));
  return (
    <button
      type="button"
      role="switch"
      className="switch"
      aria-checked={rule.enabled}
      aria-label={`${rule.name} enabled`}
      data-testid="rule-enabled"
      disabled={busy}
      onClick={(event) => {
        event.stopPropagation();
        toggle();
      }}
    >
      <span className="switch-thumb" aria-hidden="true" />
    </button>
  );
}

function DeleteRuleDialog({ rule, onClose }: { rule: FirewallRule | null; onClose(): void }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const defaultPolicy = useAppStore((state) => state.firewall.state?.defaultPolicy ?? 'allow');
  const confirm = async () => {
    if (!rule) return;
    const result = await run(`Could not delete "${rule.name}"`, () => api().removeRule({ id: rule.id }));
    if (result) useAppStore.getState().pushToast({ tone: 'success', title: 'Rule deleted', message: `"${rule.name}" no longer applies.` });
    onClose();
  };
  return (
    <ConfirmDialog
      open={rule !== null}
      title="Delete this rule?"
      confirmLabel="Delete rule"
      busyLabel="Deleting…"
      danger
      busy={busy}
      testId="delete-rule-dialog"
      confirmTestId="confirm-delete-rule"
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      {rule ? (
        <p>
          <strong>{rule.name}</strong> (<ActionBadge action={rule.action} /> {rule.protocol} from <code>{rule.source}</code> to <code>{rule.destination}</code>{' '}
          ports <code>{rule.ports}</code>, {plural(rule.hits, 'hit')}) will be removed. What it matched falls through to the rules below it, then to
          the default policy (<strong>{defaultPolicy}</strong>).
        </p>
      ) : null}
    </ConfirmDialog>
  );
}
