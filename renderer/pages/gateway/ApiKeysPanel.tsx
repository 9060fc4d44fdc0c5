import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { apiKeyInfo } from '../../../shared/contract/index.ts';
import { ActionsHeader, AlertIcon, CheckIcon, ConfirmDialog, Dialog, formatTimestamp, FormField, PlusIcon, useAction } from '../../components/index.ts';
import { errorToast, useAppStore } from '../../store/index.ts';
import { useGatewayApi } from './common.tsx';

type ApiKeyInfo = z.infer<typeof apiKeyInfo>;

/** Keys for the apiKey middleware: the secret is shown once, at creation; the server keeps only a hash. */
export function ApiKeysPanel() {
  const api = useGatewayApi();
  const [keys, setKeys] = useState<readonly ApiKeyInfo[] | null>(null);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);

  const reload = useCallback(() => {
    api()
      .listApiKeys({})
      .then(
        (list) => setKeys([...list].sort((a, b) => b.createdAt - a.createdAt)),
        (error: unknown) => useAppStore.getState().pushToast(errorToast('Could not list the API keys', error)),
      );
  }, [api]);
  useEffect(reload, [reload]);

  return (
    <section className="panel" aria-label="API keys">
      <header className="panel-header">
        <span className="muted">Clients send a key in the header an apiKey middleware names, or as Authorization: Bearer.</span>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)} data-testid="apikey-create">
          <PlusIcon />
          Create key
        </button>
      </header>
      {keys === null ? (
        <p className="panel-empty">Loading…</p>
      ) : keys.length === 0 ? (
        <p className="panel-empty">No API keys yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" data-testid="apikeys-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Key starts with</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-testid="apikey-row" data-id={key.id} className={key.revokedAt !== null ? 'is-revoked' : undefined}>
                  <td className="strong">{key.name}</td>
                  <td className="mono">{key.id}</td>
                  <td className="mono">{key.prefix}…</td>
                  <td className="numeric">{formatTimestamp(key.createdAt)}</td>
                  <td>
                    {key.revokedAt === null ? (
                      <span className="pill pill-ok">active</span>
                    ) : (
                      <span className="pill pill-neutral" title={`Revoked ${formatTimestamp(key.revokedAt)}`}>
                        revoked
                      </span>
                    )}
                  </td>
                  <td className="align-end">
                    {key.revokedAt === null ? (
                      <button type="button" className="button button-small" onClick={() => setRevoking(key)} data-testid="apikey-revoke">
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating ? (
        <CreateKeyDialog
          onClose={() => {
            setCreating(false);
            reload();
          }}
        />
      ) : null}
      {revoking ? (
        <RevokeKeyDialog
          apiKey={revoking}
          onClose={() => {
            setRevoking(null);
            reload();
          }}
        />
      ) : null}
    </section>
  );
}

function CreateKeyDialog({ onClose }: { onClose(): void }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ id: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const formId = useId();
  const error = name.trim() === '' ? undefined : name.trim().length > 100 ? 'At most 100 characters' : undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '' || error || busy) return;
    const result = await run('Could not create the API key', () => api().createApiKey({ name: name.trim() }));
    if (result) setCreated(result);
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch (failure) {
      useAppStore.getState().pushToast(errorToast('Could not copy: select the key and copy it by hand', failure));
    }
  };

  if (created) {
    return (
      <Dialog
        open
        onClose={onClose}
        title="API key created"
        testId="apikey-created-dialog"
        footer={
          <button type="button" className="button button-primary" onClick={onClose} data-testid="apikey-done">
            I have stored it
          </button>
        }
      >
        <div className="form-stack">
          <p className="notice notice-warning gw-key-warning">
            <AlertIcon />
            Copy the key now: it is shown this once. The server keeps only its hash.
          </p>
          <div className="gw-secret">
            <code className="mono" data-testid="apikey-secret">
              {created.key}
            </code>
            <button type="button" className="button button-small" onClick={() => void copy()} data-testid="apikey-copy">
              {copied ? <CheckIcon /> : null}
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
          <p className="muted">
            Id <code>{created.id}</code>: name it in an apiKey middleware's allowed ids to admit only this key.
          </p>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title="Create an API key"
      testId="apikey-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={name.trim() === '' || error !== undefined || busy} data-testid="apikey-create-confirm">
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </>
      }
    >
      <form id={formId} className="form-stack" onSubmit={(event) => void submit(event)} noValidate>
        <FormField label="Name" field="name" error={error} help="Who or what uses it, e.g. billing-service">
          <input type="text" value={name} onChange={(event) => setName(event.target.value)} autoFocus autoComplete="off" data-testid="apikey-name" />
        </FormField>
      </form>
    </Dialog>
  );
}

function RevokeKeyDialog({ apiKey, onClose }: { apiKey: ApiKeyInfo; onClose(): void }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const revoke = async () => {
    const result = await run(`Could not revoke "${apiKey.name}"`, () => api().revokeApiKey({ id: apiKey.id }));
    if (!result) return;
    useAppStore.getState().pushToast({ tone: 'success', title: 'API key revoked', message: `"${apiKey.name}" (${apiKey.prefix}…) is refused from now on.` });
    onClose();
  };
  return (
    <ConfirmDialog
      open
      title={`Revoke "${apiKey.name}"?`}
      confirmLabel="Revoke key"
      busyLabel="Revoking…"
      danger
      busy={busy}
      testId="apikey-revoke-dialog"
      confirmTestId="apikey-revoke-confirm"
      onConfirm={() => void revoke()}
      onCancel={onClose}
    >
      <p>
        Requests with the key <code>{apiKey.prefix}…</code> are refused with 401 at once. A revoked key cannot be restored: clients need a new one.
      </p>
    </ConfirmDialog>
  );
}
