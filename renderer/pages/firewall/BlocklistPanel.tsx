import { useMemo, useRef, useState, type FormEvent } from 'react';
import { BLOCKLIST_FILE_MAX_CHARS, type BlockEntry } from '../../../shared/contract/index.ts';
import { formatAge, formatBytes, formatCount, formatTimestamp, FormField, UploadIcon, useAction, useForm, useNow, VirtualTable, type VirtualColumn } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { plural, useFirewallApi } from './common.tsx';
import { formatExpiry, orderBlocklist } from './format.ts';
import { ImportBlocklistDialog, type PickedFile } from './ImportBlocklistDialog.tsx';
import { BLOCK_FIELDS, fieldErrorsFromServer, validateBlockForm, type BlockField, type BlockFormValues } from './validation.ts';

/** A file of at most this many bytes has at most as many characters. */
const MAX_IMPORT_BYTES = BLOCKLIST_FILE_MAX_CHARS;

/** Addresses refused before any rule runs, by hand, by import or by a rate-limit ban. */
export function BlocklistPanel() {
  const table = useAppStore((state) => state.firewall.blocklist);
  const entries = useMemo(() => orderBlocklist(table.values()), [table]);
  const [filter, setFilter] = useState('');
  const [picked, setPicked] = useState<PickedFile | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const rows = useMemo(() => {
    const text = filter.trim().toLowerCase();
    return text ? entries.filter((e) => e.address.includes(text) || e.reason.toLowerCase().includes(text) || e.addedBy.toLowerCase().includes(text)) : entries;
  }, [entries, filter]);

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > MAX_IMPORT_BYTES) {
      useAppStore.getState().pushToast({ tone: 'error', title: 'File too large', message: `${file.name} is ${formatBytes(file.size)}; a drop list can be at most ${formatBytes(MAX_IMPORT_BYTES)}.` });
      return;
    }
    setPicked({ name: file.name, text: await file.text() });
  };

  return (
    <section className="panel blocklist-panel" aria-labelledby="blocklist-title">
      <header className="panel-header">
        <div className="panel-title">
          <h2 id="blocklist-title">Blocklist</h2>
          <span className="panel-meta numeric" data-testid="blocklist-count">
            {rows.length === entries.length ? formatCount(entries.length) : `${formatCount(rows.length)} of ${formatCount(entries.length)}`}
          </span>
        </div>
        <div className="panel-actions">
          <input
            type="search"
            className="input-compact"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            placeholder="Filter"
            aria-label="Filter the blocklist"
            spellCheck={false}
            autoComplete="off"
          />
          <button type="button" className="button" onClick={() => fileRef.current?.click()} data-testid="import-blocklist">
            <UploadIcon />
            Import list
          </button>
          <input
            ref={fileRef}
            type="file"
            accept=".txt,.netset,.list,text/plain"
            className="visually-hidden"
            tabIndex={-1}
            aria-hidden="true"
            data-testid="import-blocklist-file"
            onChange={(event) => {
              void onFile(event.target.files?.[0]);
              event.target.value = '';
            }}
          />
        </div>
      </header>
      <BlockForm />
      <VirtualTable
        rows={rows}
        columns={BLOCK_COLUMNS}
        rowKey={blockKey}
        rowHeight={30}
        ariaLabel="Blocked addresses"
        testId="blocklist-table"
        rowTestId="block-row"
        rowData={blockRowData}
        idPrefix="block"
        empty={<p className="muted">{entries.length === 0 ? 'Nothing is blocked.' : 'No entries match the filter.'}</p>}
      />
      {picked ? <ImportBlocklistDialog file={picked} onClose={() => setPicked(null)} /> : null}
    </section>
  );
}

const blockKey = (entry: BlockEntry) => entry.address;
const blockRowData = (entry: BlockEntry) => ({ address: entry.address });

function Expiry({ expiresAt }: { expiresAt: number | null }) {
  const now = useNow();
  const text = formatExpiry(expiresAt, now);
  return <span className={expiresAt === null ? 'muted' : 'numeric'}>{text}</span>;
}

function AddedAt({ at }: { at: number }) {
  const now = useNow();
  const age = formatAge(at, now);
  return <>{age === 'now' ? 'just now' : `${age} ago`}</>;
}

function UnblockButton({ entry }: { entry: BlockEntry }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const unblock = async () => {
    const done = await run(`Could not unblock ${entry.address}`, () => api().unblock({ address: entry.address }));
    if (done) useAppStore.getState().pushToast({ tone: 'success', title: 'Unblocked', message: `${entry.address} may connect again.` });
  };
  return (
    <button type="button" className="button button-small" disabled={busy} onClick={() => void unblock()} data-testid="unblock" aria-label={`Unblock ${entry.address}`}>
      {busy ? 'Unblocking…' : 'Unblock'}
    </button>
  );
}

const BLOCK_COLUMNS: readonly VirtualColumn<BlockEntry>[] = [
  { key: 'address', header: 'Address', width: 150, mono: true, cell: (e) => e.address, title: (e) => e.address },
  { key: 'reason', header: 'Reason', width: 140, grow: true, cell: (e) => e.reason || <span className="muted">–</span>, title: (e) => e.reason },
  { key: 'addedBy', header: 'Added by', width: 128, dropOrder: 2, cell: (e) => e.addedBy, title: (e) => e.addedBy },
  { key: 'addedAt', header: 'Added', width: 104, dropOrder: 1, cell: (e) => <AddedAt at={e.addedAt} />, title: (e) => formatTimestamp(e.addedAt) },
  {
    key: 'expiry',
    header: 'Expiry',
    width: 140,
    cell: (e) => <Expiry expiresAt={e.expiresAt} />,
    title: (e) => (e.expiresAt === null ? 'until unblocked' : `at ${formatTimestamp(e.expiresAt)}`),
  },
  { key: 'hits', header: 'Hits', width: 64, align: 'end', cell: (e) => formatCount(e.hits) },
  { key: 'unblock', header: '', width: 96, align: 'end', cell: (e) => <UnblockButton entry={e} /> },
];

function BlockForm() {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const form = useForm<BlockField, BlockFormValues, ReturnType<typeof validateBlockForm>['value']>({ address: '', ttl: '', reason: '' }, validateBlockForm);
  const { values, errors, hints, set } = form;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = form.validation.value;
    if (!value) return form.touchAll();
    const result = await run(`Could not block ${value.address}`, () => api().block(value), (error) => form.setServerErrors(fieldErrorsFromServer(error, BLOCK_FIELDS)));
    if (!result) return;
    useAppStore.getState().pushToast({
      tone: 'success',
      title: `Blocked ${result.entry.address}`,
      message: `${result.entry.expiresAt === null ? 'Until unblocked' : `For ${values.ttl.trim()}`}; ${plural(result.closedConnections, 'open connection')} closed.`,
    });
    form.reset({ address: '', ttl: '', reason: '' });
  };

  return (
    <form className="block-form" onSubmit={(event) => void submit(event)} noValidate aria-label="Block an address">
      <FormField label="Block an address" field="address" error={errors.address} hint={hints.address} className="grow">
        <input
          type="text"
          className="mono"
          value={values.address}
          onChange={(event) => set('address', event.target.value)}
          onBlur={() => values.address && form.touch('address')}
          placeholder="203.0.113.7 or 198.51.100.0/24"
          spellCheck={false}
          autoComplete="off"
          data-testid="block-address"
        />
      </FormField>
      <FormField label="Expires after" field="ttl" error={errors.ttl}>
        <input
          type="text"
          value={values.ttl}
          onChange={(event) => set('ttl', event.target.value)}
          onBlur={() => form.touch('ttl')}
          placeholder="never (or 10m, 2h, 7d)"
          spellCheck={false}
          autoComplete="off"
          data-testid="block-ttl"
        />
      </FormField>
      <FormField label="Reason" field="reason" error={errors.reason} className="grow">
        <input
          type="text"
          value={values.reason}
          onChange={(event) => set('reason', event.target.value)}
          placeholder="optional"
          autoComplete="off"
          data-testid="block-reason"
        />
      </FormField>
      <button type="submit" className="button button-danger" disabled={!form.validation.value || busy} data-testid="block-submit">
        {busy ? 'Blocking…' : 'Block'}
      </button>
    </form>
  );
}
