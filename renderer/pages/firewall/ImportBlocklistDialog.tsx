import { useMemo, useState } from 'react';
import { importBlocklistInParts, type BlocklistImportResult } from '../../../shared/contract/index.ts';
import { Dialog, useAction } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { plural, useFirewallApi } from './common.tsx';
import { parseTtl } from './validation.ts';

export interface PickedFile {
  name: string;
  text: string;
}

const SKIPPED_SHOWN = 200;

/** DROP-style lists: one address or CIDR a line, `;` or `#` comments; the server parses and reports what it skipped. */
export function ImportBlocklistDialog({ file, onClose }: { file: PickedFile; onClose(): void }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const [reason, setReason] = useState(`imported from ${file.name}`);
  const [ttl, setTtl] = useState('');
  const [result, setResult] = useState<BlocklistImportResult | null>(null);
  /** Parts sent and answered, of all: a big list goes in parts of one message each. */
  const [progress, setProgress] = useState<{ done: number; parts: number } | null>(null);
  const ttlParsed = parseTtl(ttl);
  const counts = useMemo(() => {
    const lines = file.text.split(/\r?\n/);
    const entries = lines.filter((line) => {
      const trimmed = line.trim();
      return trimmed !== '' && !trimmed.startsWith(';') && !trimmed.startsWith('#');
    }).length;
    return { lines: lines.length, entries };
  }, [file.text]);

  const submit = async () => {
    if (ttlParsed.error || busy) return;
    const params = { reason: reason.trim() || 'imported', ...(ttlParsed.seconds === undefined ? {} : { ttlSeconds: ttlParsed.seconds }) };
    const answer = await run(`Could not import ${file.name}`, () =>
      importBlocklistInParts(
        file.text,
        (text) => api().importBlocklist({ text, ...params }),
        (done, parts) => setProgress({ done, parts }),
      ),
    );
    setProgress(null);
    if (!answer) return;
    setResult(answer);
    useAppStore.getState().pushToast({
      tone: answer.skipped.length > 0 ? 'warning' : 'success',
      title: `Imported ${file.name}`,
      message: `${plural(answer.added, 'entry', 'entries')} added${answer.skipped.length > 0 ? `, ${plural(answer.skipped.length, 'line')} skipped` : ''}.`,
    });
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={result ? `Imported ${file.name}` : 'Import a blocklist'}
      size="medium"
      testId="import-blocklist-dialog"
      footer={
        result ? (
          <button type="button" className="button button-primary" onClick={onClose} autoFocus>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="button button-danger" disabled={busy || ttlParsed.error !== undefined || counts.entries === 0} onClick={() => void submit()} data-testid="confirm-import-blocklist">
              {busy ? 'Importing…' : `Block ${plural(counts.entries, 'entry', 'entries')}`}
            </button>
          </>
        )
      }
    >
      {result ? (
        <div data-testid="import-blocklist-result">
          <p>
            <strong className="numeric">{plural(result.added, 'entry', 'entries')}</strong> added to the blocklist;{' '}
            <strong className="numeric">{plural(result.skipped.length, 'line')}</strong> skipped.
          </p>
          {result.skipped.length > 0 ? (
            <div className="skipped-list">
              <table className="data-table compact-table">
                <thead>
                  <tr>
                    <th scope="col" className="align-end">
                      Line
                    </th>
                    <th scope="col">Text</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {result.skipped.slice(0, SKIPPED_SHOWN).map((skip) => (
                    <tr key={skip.line} data-testid="skipped-line" data-line={skip.line}>
                      <td className="align-end numeric">{skip.line}</td>
                      <td className="mono cell-clip" title={skip.text}>
                        {skip.text}
                      </td>
                      <td>{skip.error}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {result.skipped.length > SKIPPED_SHOWN ? <p className="muted">…and {plural(result.skipped.length - SKIPPED_SHOWN, 'more line')}.</p> : null}
            </div>
          ) : null}
        </div>
      ) : (
        <div className="form-stack">
          <p>
            <code>{file.name}</code>: {plural(counts.lines, 'line')}, about {plural(counts.entries, 'address', 'addresses')} or ranges (comments after{' '}
            <code>;</code> or <code>#</code> are ignored). Each becomes a blocklist entry; open connections from them are closed.
          </p>
          <label className="form-field">
            <span className="form-label">Reason</span>
            <input type="text" value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
          </label>
          {progress && progress.parts > 1 ? (
            <div className="form-field" data-testid="import-blocklist-progress">
              <span className="form-label">
                Imported part {progress.done} of {progress.parts}
              </span>
              <progress className="import-progress" max={progress.parts} value={progress.done} aria-label="Import progress" />
            </div>
          ) : null}
          <label className="form-field">
            <span className="form-label">Expires after</span>
            <input type="text" value={ttl} onChange={(event) => setTtl(event.target.value)} placeholder="never (or 1d, 7d)" aria-invalid={ttlParsed.error !== undefined} />
            {ttlParsed.error ? <span className="field-error">{ttlParsed.error}</span> : null}
          </label>
        </div>
      )}
    </Dialog>
  );
}
