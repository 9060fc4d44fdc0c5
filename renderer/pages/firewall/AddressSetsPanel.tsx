import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { AddressSet, AddressSetSummary, FirewallRule } from '../../../shared/contract/index.ts';
import { parseIp } from '../../../shared/net/index.ts';
import { ActionsHeader, Dialog, EditIcon, FormDialog, FormField, PlusIcon, TrashIcon, useAction, useForm } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { plural, RemoveDialog, useFirewallApi } from './common.tsx';
import {
  ADDRESS_SET_FIELDS,
  addressSetFormFrom,
  fieldErrorsFromServer,
  filterAddressSets,
  validateAddressSetForm,
  type AddressSetField,
  type AddressSetFormValues,
} from './validation.ts';

const NO_SETS: readonly AddressSetSummary[] = [];
const NO_RULES: readonly FirewallRule[] = [];
/** Entries a row shows before "and N more". */
const SHOWN_ENTRIES = 3;

type Editing = { kind: 'new' } | { kind: 'edit'; set: AddressSetSummary };

/**
 * Named lists of addresses (@office, @monitoring) that a rule's source can
 * name: edit the list, and every rule on it follows at once.
 */
export function AddressSetsPanel() {
  const sets = useAppStore((state) => state.firewall.state?.addressSets ?? NO_SETS);
  const rules = useAppStore((state) => state.firewall.state?.rules ?? NO_RULES);
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [removing, setRemoving] = useState<AddressSetSummary | null>(null);
  const holding = useSetsHolding(filter);
  const rows = useMemo(() => filterAddressSets(sets, filter, holding), [sets, filter, holding]);
  const names = useMemo(() => sets.map((set) => set.name), [sets]);
  const usersOf = (name: string) => rules.filter((rule) => rule.source === name);

  return (
    <section className="panel" aria-labelledby="address-sets-title">
      <header className="panel-header">
        <div className="panel-title">
          <h2 id="address-sets-title">Address sets</h2>
          <span className="panel-meta numeric" data-testid="address-sets-count">
            {rows.length === sets.length ? plural(sets.length, 'set') : `${rows.length} of ${plural(sets.length, 'set')}`}
          </span>
        </div>
        <button type="button" className="button" onClick={() => setEditing({ kind: 'new' })} data-testid="add-address-set">
          <PlusIcon />
          Add set
        </button>
      </header>
      {sets.length > 0 ? (
        <div className="panel-filter">
          <input
            type="search"
            className="input-compact"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            placeholder="Filter by name, or an IP address a set holds"
            aria-label="Filter the address sets"
            spellCheck={false}
            autoComplete="off"
            data-testid="address-sets-filter"
          />
        </div>
      ) : null}
      {sets.length === 0 ? (
        <p className="panel-empty">No address sets. A set names a list of addresses, such as @office, for a rule's source to use.</p>
      ) : rows.length === 0 ? (
        <p className="panel-empty">No set matches “{filter.trim()}”.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table compact-table" data-testid="address-sets-table">
            <thead>
              <tr>
                <th scope="col">Set</th>
                <th scope="col">Entries</th>
                <th scope="col">Used by</th>
                <ActionsHeader className="col-actions" />
              </tr>
            </thead>
            <tbody>
              {rows.map((set) => {
                const users = usersOf(set.name);
                return (
                  <tr key={set.name} data-testid="address-set-row" data-name={set.name}>
                    <td className="strong mono">{set.name}</td>
                    <td className="cell-wrap">
                      <span className="numeric">{plural(set.size, 'entry', 'entries')}</span>
                      <span className="limit-ban mono" title={set.entries.slice(0, 50).join('\n')}>
                        {set.entries.slice(0, SHOWN_ENTRIES).join(', ')}
                        {set.size > SHOWN_ENTRIES ? ` and ${(set.size - SHOWN_ENTRIES).toLocaleString('en-US')} more` : ''}
                      </span>
                    </td>
                    <td className="cell-wrap" data-testid="address-set-users" title={users.map((rule) => rule.name).join('\n') || undefined}>
                      {users.length === 0 ? <span className="muted">no rule</span> : plural(users.length, 'rule')}
                    </td>
                    <td className="col-actions">
                      <button type="button" className="icon-button icon-button-small" aria-label={`Edit ${set.name}`} title="Edit" onClick={() => setEditing({ kind: 'edit', set })} data-testid="address-set-edit">
                        <EditIcon size={14} />
                      </button>
                      <button
                        type="button"
                        className="icon-button icon-button-small icon-button-danger"
                        aria-label={`Remove ${set.name}`}
                        title={users.length > 0 ? `Used by ${plural(users.length, 'rule')}: change or remove ${users.length === 1 ? 'it' : 'them'} first` : 'Remove'}
                        disabled={users.length > 0}
                        onClick={() => setRemoving(set)}
                        data-testid="address-set-remove"
                      >
                        <TrashIcon size={14} />
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {editing ? (
        <AddressSetDialog editing={editing} existing={names} rules={rules} onClose={() => setEditing(null)} />
      ) : null}
      <RemoveAddressSetDialog set={removing} onClose={() => setRemoving(null)} />
    </section>
  );
}

/**
 * The names of the sets holding the IP address typed in the filter, asked of
 * the server, which sees every entry (the live state carries the first
 * ADDRESS_SET_PREVIEW of each); undefined for other filters and until it answers.
 */
function useSetsHolding(filter: string): ReadonlySet<string> | undefined {
  const api = useFirewallApi();
  const generation = useAppStore((state) => state.firewall.state?.generation);
  const [answer, setAnswer] = useState<{ address: string; generation: number | undefined; names: ReadonlySet<string> } | null>(null);
  const address = parseIp(filter.trim()) ? filter.trim() : null;
  useEffect(() => {
    if (address === null) return;
    let current = true;
    api()
      .addressSetsHolding({ address })
      .then(
        ({ names }) => {
          if (current) setAnswer({ address, generation, names: new Set(names) });
        },
        // Disconnected, say: the filter goes on with the entries at hand.
        () => undefined,
      );
    return () => {
      current = false;
    };
  }, [api, address, generation]);
  return answer !== null && answer.address === address && answer.generation === generation ? answer.names : undefined;
}

/** The set's form; for a set larger than the live state's preview, once its entries have come. */
function AddressSetDialog({ editing, existing, rules, onClose }: { editing: Editing; existing: readonly string[]; rules: readonly FirewallRule[]; onClose(): void }) {
  const api = useFirewallApi();
  const partial = editing.kind === 'edit' && editing.set.size > editing.set.entries.length;
  const [full, setFull] = useState<AddressSet | null>(() => (editing.kind === 'edit' && !partial ? { name: editing.set.name, entries: editing.set.entries } : null));
  const [failure, setFailure] = useState<string | null>(null);
  const name = editing.kind === 'edit' ? editing.set.name : null;
  useEffect(() => {
    if (!partial || name === null) return;
    let current = true;
    api()
      .addressSet({ name })
      .then(
        (set) => current && setFull(set),
        (error: unknown) => current && setFailure(error instanceof Error ? error.message : String(error)),
      );
    return () => {
      current = false;
    };
  }, [api, partial, name]);
  if (editing.kind === 'edit' && full === null) {
    return (
      <Dialog open onClose={onClose} title={`Address set ${editing.set.name}`} size="medium" testId="address-set-dialog">
        <p className={failure ? 'field-error' : 'muted'} role="status" data-testid="address-set-loading">
          {failure ? `Could not load ${editing.set.name}: ${failure}` : `Loading its ${plural(editing.set.size, 'entry', 'entries')}…`}
        </p>
      </Dialog>
    );
  }
  return <AddressSetForm set={full} existing={existing} rules={rules} onClose={onClose} />;
}

function AddressSetForm({ set: editingSet, existing, rules, onClose }: { set: AddressSet | null; existing: readonly string[]; rules: readonly FirewallRule[]; onClose(): void }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const editingName = editingSet?.name ?? null;
  const validate = useMemo(() => (values: AddressSetFormValues) => validateAddressSetForm(values, existing, editingName), [existing, editingName]);
  const form = useForm<AddressSetField, AddressSetFormValues, ReturnType<typeof validateAddressSetForm>['value']>(() => addressSetFormFrom(editingSet), validate);
  const { values, errors, hints, set } = form;
  // Rules may name a set before it exists: those follow it from its first save.
  const users = rules.filter((rule) => rule.source === values.name.trim()).length;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = form.validation.value;
    if (!value) return form.touchAll();
    const done = await run(`Could not save ${value.name}`, () => api().setAddressSet(value), (error) => form.setServerErrors(fieldErrorsFromServer(error, ADDRESS_SET_FIELDS)));
    if (!done) return;
    const followers = users > 0 ? ` ${plural(users, 'rule')} on it ${users === 1 ? 'follows' : 'follow'} at once.` : '';
    useAppStore.getState().pushToast({ tone: 'success', title: 'Address set saved', message: `${value.name}: ${plural(value.entries.length, 'entry', 'entries')}.${followers}` });
    onClose();
  };

  return (
    <FormDialog
      title={editingSet === null ? 'Add an address set' : `Address set ${editingSet.name}`}
      testId="address-set-dialog"
      onClose={onClose}
      onSubmit={submit}
      note={users > 0 ? `${plural(users, 'rule')} on this set ${users === 1 ? 'follows' : 'follow'} the change at once.` : 'No rule uses this set yet.'}
      submitLabel="Save set"
      submitTestId="address-set-save"
      submitDisabled={!form.validation.value || busy}
      busy={busy}
      formClassName="form-grid"
    >
      <FormField label="Name" field="name" error={errors.name} help={editingSet ? 'To rename, add a new set' : 'Rules name it as their source, e.g. @office'} className="span-2">
        <input
          type="text"
          className="mono"
          value={values.name}
          readOnly={editingSet !== null}
          onChange={(event) => set('name', event.target.value)}
          autoComplete="off"
          spellCheck={false}
          data-testid="address-set-name"
        />
      </FormField>
      <FormField label="Entries" field="entries" error={errors.entries} hint={hints.entries} help="One IP or CIDR a line, # for comments" className="span-2">
        <textarea
          className="mono"
          rows={10}
          value={values.entries}
          onChange={(event) => set('entries', event.target.value)}
          placeholder={'10.20.0.0/16\n192.0.2.7   # the VPN gateway\n2001:db8:1::/48'}
          spellCheck={false}
          data-testid="address-set-entries"
        />
      </FormField>
    </FormDialog>
  );
}

function RemoveAddressSetDialog({ set, onClose }: { set: AddressSetSummary | null; onClose(): void }) {
  const api = useFirewallApi();
  return (
    <RemoveDialog
      target={set}
      title={(target) => `Remove ${target.name}?`}
      confirmLabel="Remove set"
      failure={(target) => `Could not remove ${target.name}`}
      remove={(target) => api().removeAddressSet({ name: target.name })}
      removed={(target) => ({ title: 'Address set removed', message: `${target.name} is gone.` })}
      testId="address-set-remove-dialog"
      confirmTestId="address-set-remove-confirm"
      onClose={onClose}
    >
      {(target) => (
        <p>
          Its {plural(target.size, 'entry', 'entries')} go with it. No rule uses it now; a rule that names it later matches nothing until it is defined
          again.
        </p>
      )}
    </RemoveDialog>
  );
}
