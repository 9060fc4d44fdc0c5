import { useState } from 'react';
import { Dialog, formatEndpoint, useSession } from '../../components/index.ts';
import { errorToast, useAppStore } from '../../store/index.ts';

export function CloseConnectionDialog() {
  const session = useSession();
  const pendingId = useAppStore((state) => state.connections.pendingCloseId);
  const row = useAppStore((state) => (pendingId === null ? undefined : state.connections.rows.get(pendingId)));
  const requestClose = useAppStore((state) => state.requestConnectionClose);
  const [busy, setBusy] = useState(false);

  const confirm = async () => {
    if (pendingId === null || busy) return;
    setBusy(true);
    const { pushToast } = useAppStore.getState();
    try {
      const result = await session.api.connections.close({ id: pendingId });
      pushToast(
        result.closed
          ? { tone: 'success', title: 'Connection closed', message: `${result.id} was closed.` }
          : { tone: 'info', title: 'Already closed', message: `${result.id} had already closed.` },
      );
    } catch (error) {
      pushToast(errorToast(`Could not close ${pendingId}`, error));
    } finally {
      setBusy(false);
      requestClose(null);
    }
  };

  return (
    <Dialog
      open={pendingId !== null}
      onClose={() => requestClose(null)}
      title="Close this connection?"
      testId="close-dialog"
      footer={
        <>
          <button type="button" className="button" autoFocus onClick={() => requestClose(null)}>
            Cancel
          </button>
          <button type="button" className="button button-danger" data-testid="confirm-close" disabled={busy} onClick={() => void confirm()}>
            {busy ? 'Closing…' : 'Close connection'}
          </button>
        </>
      }
    >
      <p>
        <code>{pendingId}</code>
        {row ? (
          <>
            {' '}
            ({row.kind} {formatEndpoint(row.remoteAddress, row.remotePort)} → {formatEndpoint(row.localAddress, row.localPort)}, owner{' '}
            <strong>{row.owner || '–'}</strong>)
          </>
        ) : null}{' '}
        will be closed now. The peer sees its socket end; whatever it was doing is cut off.
      </p>
    </Dialog>
  );
}
