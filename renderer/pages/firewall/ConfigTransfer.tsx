import { useRef, useState } from 'react';
import type { z } from 'zod';
import { MAX_UPLOAD_CHARS, textParam, type exportFormat } from '../../../shared/contract/index.ts';
import { Dialog, DownloadIcon, formatBytes, UploadIcon, useAction, useSession } from '../../components/index.ts';
import { errorToast, useAppStore } from '../../store/index.ts';
import { plural, useFirewallApi } from './common.tsx';

type ExportFormat = z.infer<typeof exportFormat>;

/** A file of at most this many bytes has at most as many characters as an upload takes. */
const MAX_IMPORT_BYTES = MAX_UPLOAD_CHARS;

/**
 * Saves text as a file. An <a download> on a blob: URL is a download, not a
 * fetch or a navigation the page's CSP governs, so connect-src needs no blob:.
 */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not at once: the download reads the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** `netops-firewall-2025-03-04-140509.yaml` */
export function exportFileName(format: ExportFormat, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `netops-firewall-${stamp}.${format === 'yaml' ? 'yaml' : 'json'}`;
}

/** JSON by extension or by a leading brace; anything else is YAML. */
export function importFormatOf(fileName: string, text: string): ExportFormat {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.ya?ml$/i.test(fileName)) return 'yaml';
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

interface PickedConfig {
  name: string;
  size: number;
  text: string;
  format: ExportFormat;
}

type ImportOutcome = { ok: true; rules: number; blocklist: number; addressSets: number } | { ok: false; code: string | null; message: string };

export function ConfigTransfer() {
  const api = useFirewallApi();
  const exporting = useAction();
  const fileRef = useRef<HTMLInputElement>(null);
  const [picked, setPicked] = useState<PickedConfig | null>(null);

  const exportAs = async (format: ExportFormat) => {
    const result = await exporting.run(`Could not export as ${format.toUpperCase()}`, () => api().exportConfig({ format }));
    if (!result) return;
    const name = exportFileName(format, new Date());
    downloadText(result.text, name, format === 'yaml' ? 'application/yaml' : 'application/json');
    useAppStore.getState().pushToast({ tone: 'success', title: 'Exported', message: `${name} (${formatBytes(new Blob([result.text]).size)}).` });
  };

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > MAX_IMPORT_BYTES) {
      useAppStore.getState().pushToast({ tone: 'error', title: 'File too large', message: `${file.name} is ${formatBytes(file.size)}; an import can be at most ${formatBytes(MAX_IMPORT_BYTES)}.` });
      return;
    }
    const text = await file.text();
    setPicked({ name: file.name, size: file.size, text, format: importFormatOf(file.name, text) });
  };

  return (
    <div className="config-transfer" role="group" aria-label="Firewall configuration">
      <span className="config-transfer-label">Export</span>
      <button type="button" className="button button-small" disabled={exporting.busy} onClick={() => void exportAs('yaml')} data-testid="export-yaml">
        <DownloadIcon size={14} />
        YAML
      </button>
      <button type="button" className="button button-small" disabled={exporting.busy} onClick={() => void exportAs('json')} data-testid="export-json">
        <DownloadIcon size={14} />
        JSON
      </button>
      <button type="button" className="button button-small" onClick={() => fileRef.current?.click()} data-testid="import-config">
        <UploadIcon size={14} />
        Import…
      </button>
      <input
        ref={fileRef}
        type="file"
        accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="import-config-file"
        onChange={(event) => {
          void onFile(event.target.files?.[0]);
          event.target.value = '';
        }}
      />
      {picked ? <ImportConfigDialog picked={picked} onClose={() => setPicked(null)} /> : null}
    </div>
  );
}

function ImportConfigDialog({ picked, onClose }: { picked: PickedConfig; onClose(): void }) {
  const api = useFirewallApi();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  /** Characters uploaded of all, while a file too large for one message goes up in parts. */
  const [uploaded, setUploaded] = useState<{ sent: number; of: number } | null>(null);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [format, setFormat] = useState<ExportFormat>(picked.format);

  const submit = async () => {
    setBusy(true);
    try {
      const text = await textParam(
        picked.text,
        (part) => session.api.uploads.append(part),
        (sent, of) => setUploaded({ sent, of }),
      );
      const result = await api().importConfig({ format, ...text });
      setOutcome({ ok: true, ...result });
      useAppStore.getState().pushToast({
        tone: 'success',
        title: `Imported ${picked.name}`,
        message: `${plural(result.rules, 'rule')}, ${plural(result.blocklist, 'blocklist entry', 'blocklist entries')}, ${plural(result.addressSets, 'address set')}.`,
      });
    } catch (error) {
      const toast = errorToast(`Could not import ${picked.name}`, error);
      useAppStore.getState().pushToast(toast);
      setOutcome({ ok: false, code: toast.code ?? null, message: toast.message });
    } finally {
      setBusy(false);
      setUploaded(null);
    }
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title="Import firewall configuration"
      size="medium"
      testId="import-config-dialog"
      footer={
        outcome?.ok ? (
          <button type="button" className="button button-primary" onClick={onClose} autoFocus>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={onClose}>
              {outcome ? 'Close' : 'Cancel'}
            </button>
            <button type="button" className="button button-primary" disabled={busy} onClick={() => void submit()} data-testid="confirm-import-config">
              {busy ? 'Importing…' : outcome ? 'Try again' : 'Replace configuration'}
            </button>
          </>
        )
      }
    >
      {outcome?.ok ? (
        <div data-testid="import-config-result">
          <p>The server applied the file:</p>
          <ul className="summary-list numeric">
            <li>{plural(outcome.rules, 'rule')}</li>
            <li>{plural(outcome.blocklist, 'blocklist entry', 'blocklist entries')}</li>
            <li>{plural(outcome.addressSets, 'address set')}</li>
          </ul>
        </div>
      ) : (
        <div className="form-stack">
          <p>
            <code>{picked.name}</code> ({formatBytes(picked.size)}) <strong>replaces the whole firewall configuration</strong>: rules, address
            sets, policies, rate limits and the blocklist. What the file leaves out is removed, so export first to keep a copy. It takes effect
            for new connections once the server accepts the file; a file with any error changes nothing.
          </p>
          <label className="form-field form-field-inline">
            <span className="form-label">Format</span>
            <select value={format} onChange={(event) => setFormat(event.target.value as ExportFormat)} data-testid="import-config-format">
              <option value="yaml">YAML</option>
              <option value="json">JSON</option>
            </select>
          </label>
          {uploaded ? (
            <div className="form-field" data-testid="import-config-progress">
              <span className="form-label">
                Uploaded {formatBytes(uploaded.sent)} of {formatBytes(uploaded.of)}
              </span>
              <progress className="import-progress" max={uploaded.of} value={uploaded.sent} aria-label="Upload progress" />
            </div>
          ) : null}
          {outcome && !outcome.ok ? (
            <div className="notice notice-danger" role="alert" data-testid="import-config-error">
              {outcome.code ? <code>{outcome.code}</code> : null} {outcome.message}
            </div>
          ) : null}
        </div>
      )}
    </Dialog>
  );
}
