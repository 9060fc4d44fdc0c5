import { useCallback, useId, useMemo, type FormEvent } from 'react';
import { firewallAction, firewallProtocol, type FirewallRule } from '../../../shared/contract/index.ts';
import { FormDialog, FormField, useAction, useForm } from '../../components/index.ts';
import { MAX_RULE_PRIORITY, namesSelector, useAppStore, type AppState } from '../../store/index.ts';
import { useFirewallApi } from './common.tsx';
import {
  emptyRuleForm,
  fieldErrorsFromServer,
  RULE_FIELDS,
  ruleFormFromRule,
  rulePatch,
  validateRuleForm,
  type RuleField,
  type RuleFormValues,
} from './validation.ts';

/** A new rule (from blank, or from `preset`, e.g. a decision turned around), or an edit. */
export type RuleDialogTarget = { kind: 'new'; preset?: Partial<RuleFormValues> } | { kind: 'edit'; rule: FirewallRule };

const selectAddressSetNames = namesSelector((state) => state.firewall.state?.addressSets);
const selectListenerNames = namesSelector((state) => state.overview.latest?.listeners);

/** New rules go to the end, after the last one, in steps of ten. */
function nextPriority(state: AppState): number {
  const rules = state.firewall.state?.rules ?? [];
  const max = rules.reduce((highest, rule) => Math.max(highest, rule.priority), 0);
  return rules.length === 0 ? 100 : Math.min(MAX_RULE_PRIORITY, (Math.floor(max / 10) + 1) * 10);
}

export function RuleFormDialog({ target, onClose }: { target: RuleDialogTarget; onClose(): void }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const addressSets = useAppStore(selectAddressSetNames);
  const listeners = useAppStore(selectListenerNames);
  const validate = useCallback((values: RuleFormValues) => validateRuleForm(values, { addressSets, listeners }), [addressSets, listeners]);
  const form = useForm<RuleField, RuleFormValues, ReturnType<typeof validateRuleForm>['value']>(
    () => (target.kind === 'edit' ? ruleFormFromRule(target.rule) : { ...emptyRuleForm(nextPriority(useAppStore.getState())), ...target.preset }),
    validate,
  );
  const { values, errors, hints, set } = form;
  const formId = useId();
  const sourceListId = `${formId}-sources`;
  const destinationListId = `${formId}-destinations`;
  const value = form.validation.value;
  const patch = useMemo(() => (target.kind === 'edit' && value ? rulePatch(target.rule, value) : null), [target, value]);
  const unchanged = patch !== null && Object.keys(patch).length === 0;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!value) return form.touchAll();
    if (busy || unchanged) return;
    const onError = (error: unknown) => form.setServerErrors(fieldErrorsFromServer(error, RULE_FIELDS));
    const saved =
      target.kind === 'new'
        ? await run('Could not add the rule', () => api().addRule(value), onError)
        : await run(`Could not save "${target.rule.name}"`, () => api().updateRule({ id: target.rule.id, patch: value }), onError);
    if (!saved) return;
    const state = useAppStore.getState();
    state.pushToast({ tone: 'success', title: target.kind === 'new' ? 'Rule added' : 'Rule saved', message: `"${saved.name}" applies to new connections now.` });
    state.highlightRule(saved.id);
    onClose();
  };

  return (
    <FormDialog
      title={target.kind === 'new' ? 'Add a rule' : `Edit rule "${target.rule.name}"`}
      testId="rule-dialog"
      onClose={onClose}
      onSubmit={submit}
      note={unchanged ? 'No changes yet' : 'Applies to new connections; open ones are not cut.'}
      submitLabel={target.kind === 'new' ? 'Add rule' : 'Save rule'}
      submitTestId="rule-save"
      submitDisabled={!value || busy || unchanged}
      busy={busy}
      formClassName="form-grid"
    >
      <FormField label="Name" field="name" error={errors.name} className="span-2">
        <input
          type="text"
          value={values.name}
          onChange={(event) => set('name', event.target.value)}
          onBlur={() => form.touch('name')}
          placeholder="e.g. Block scanners"
          maxLength={200}
          autoFocus
          autoComplete="off"
          data-testid="rule-name"
        />
      </FormField>
      <FormField label="Action" field="action" error={errors.action}>
        <select value={values.action} onChange={(event) => set('action', event.target.value as RuleFormValues['action'])} data-testid="rule-action">
          {firewallAction.options.map((action) => (
            <option key={action} value={action}>
              {action === 'allow' ? 'Allow' : 'Deny'}
            </option>
          ))}
        </select>
      </FormField>
      <FormField label="Protocol" field="protocol" error={errors.protocol} hint={hints.protocol}>
        <select value={values.protocol} onChange={(event) => set('protocol', event.target.value as RuleFormValues['protocol'])} data-testid="rule-protocol">
          {firewallProtocol.options.map((protocol) => (
            <option key={protocol} value={protocol}>
              {protocol === 'any' ? 'Any' : protocol.toUpperCase()}
            </option>
          ))}
        </select>
      </FormField>
      <FormField label="Source" field="source" error={errors.source} hint={hints.source} help="any, an IP, a CIDR, or an address set (@office)">
        <input
          type="text"
          className="mono"
          value={values.source}
          onChange={(event) => set('source', event.target.value)}
          onBlur={() => form.touch('source')}
          placeholder="any"
          list={sourceListId}
          spellCheck={false}
          autoComplete="off"
          data-testid="rule-source"
        />
      </FormField>
      <FormField
        label="Destination"
        field="destination"
        error={errors.destination}
        hint={hints.destination}
        help="any, an entry point by name, or an IP or CIDR of this host"
      >
        <input
          type="text"
          className="mono"
          value={values.destination}
          onChange={(event) => set('destination', event.target.value)}
          onBlur={() => form.touch('destination')}
          placeholder="any"
          list={destinationListId}
          spellCheck={false}
          autoComplete="off"
          data-testid="rule-destination"
        />
      </FormField>
      <FormField label="Ports" field="ports" error={errors.ports} hint={hints.ports} help="any, 443, 8000-8080, or a list: 80,443">
        <input
          type="text"
          className="mono"
          value={values.ports}
          onChange={(event) => set('ports', event.target.value)}
          onBlur={() => form.touch('ports')}
          placeholder="any"
          spellCheck={false}
          autoComplete="off"
          data-testid="rule-ports"
        />
      </FormField>
      <FormField label="Priority" field="priority" error={errors.priority} help="Lower runs first; the first match decides">
        <input
          type="text"
          inputMode="numeric"
          className="numeric"
          value={values.priority}
          onChange={(event) => set('priority', event.target.value)}
          onBlur={() => form.touch('priority')}
          autoComplete="off"
          data-testid="rule-priority"
        />
      </FormField>
      <FormField label="Comment" field="comment" error={errors.comment} className="span-2">
        <textarea
          value={values.comment}
          onChange={(event) => set('comment', event.target.value)}
          onBlur={() => form.touch('comment')}
          rows={2}
          placeholder="Why this rule exists (optional)"
          data-testid="rule-comment"
        />
      </FormField>
      <label className="checkbox span-2">
        <input type="checkbox" checked={values.enabled} onChange={(event) => set('enabled', event.target.checked)} data-testid="rule-enabled-input" />
        Enabled
      </label>
      <datalist id={sourceListId}>
        <option value="any" />
        {addressSets.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <datalist id={destinationListId}>
        <option value="any" />
        {listeners.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </FormDialog>
  );
}
