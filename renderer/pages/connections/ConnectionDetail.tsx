import { useRef, type ReactNode } from 'react';
import type { ConnectionRow } from '../../../shared/contract/index.ts';
import { Age, BanIcon, CloseIcon, formatBytes, formatCount, formatEndpoint, formatTimestamp } from '../../components/index.ts';
import { selectSelectedConnection, useAppStore } from '../../store/index.ts';
import { DirectionLabel, StateLabel } from './cells.tsx';

/** Every field of the selected connection, live; after it goes away, its last known values under a notice. */
export function ConnectionDetail() {
  const selectedId = useAppStore((state) => state.connections.selectedId);
  const row = useAppStore(selectSelectedConnection);
  const setOpen = useAppStore((state) => state.setConnectionDetailOpen);
  const requestClose = useAppStore((state) => state.requestConnectionClose);
  const requestBlock = useAppStore((state) => state.requestBlock);
  const lastSeen = useRef<ConnectionRow | undefined>(undefined);
  if (row) lastSeen.current = row;
  else if (lastSeen.current?.id !== selectedId) lastSeen.current = undefined;
  const shown = row ?? lastSeen.current;
  const gone = !row;

  return (
    <aside className="detail" aria-label="Connection details" data-testid="connection-detail" data-state={gone ? 'gone' : shown?.state}>
      <header className="detail-header">
        <div>
          <div className="detail-eyebrow">Connection</div>
          <h2 className="mono">{selectedId}</h2>
        </div>
        <button type="button" className="icon-button" aria-label="Close details panel" title="Close (Esc)" onClick={() => setOpen(false)}>
          <CloseIcon />
        </button>
      </header>
      {gone ? (
        <div className="notice notice-neutral" role="status" data-testid="connection-gone">
          This connection is closed. {shown ? 'The values below are the last ones received.' : null}
        </div>
      ) : null}
      {shown ? (
        <dl className={`detail-fields${gone ? ' is-stale' : ''}`}>
          <Field label="State">{gone ? <StateLabel state="closed" /> : <StateLabel state={shown.state} />}</Field>
          <Field label="Kind">
            <span className="tag">{shown.kind}</span>
          </Field>
          <Field label="Direction">
            <DirectionLabel direction={shown.direction} />
          </Field>
          <Field label="Owner">{shown.owner || '–'}</Field>
          <Field label="Local" mono>
            {formatEndpoint(shown.localAddress, shown.localPort)}
          </Field>
          <Field label="Remote" mono>
            {formatEndpoint(shown.remoteAddress, shown.remotePort)}
          </Field>
          <Field label="Bytes in">
            {formatBytes(shown.bytesIn)} <span className="muted">({formatCount(shown.bytesIn)})</span>
          </Field>
          <Field label="Bytes out">
            {formatBytes(shown.bytesOut)} <span className="muted">({formatCount(shown.bytesOut)})</span>
          </Field>
          <Field label="Opened">
            {formatTimestamp(shown.createdAt)}
            {gone ? null : (
              <span className="muted">
                {' '}
                (<Age since={shown.createdAt} suffix=" ago" />)
              </span>
            )}
          </Field>
          <Field label="Last activity">
            {formatTimestamp(shown.lastActivityAt)}
            {gone ? null : (
              <span className="muted">
                {' '}
                (<Age since={shown.lastActivityAt} suffix=" ago" />)
              </span>
            )}
          </Field>
        </dl>
      ) : null}
      <footer className="detail-footer">
        <button
          type="button"
          className="button button-danger"
          data-testid="close-connection"
          disabled={gone || shown?.state === 'closing' || shown?.state === 'closed'}
          onClick={() => selectedId !== null && requestClose(selectedId)}
        >
          Close connection
        </button>
        <button
          type="button"
          className="button"
          data-testid="block-ip"
          disabled={!shown?.remoteAddress}
          title="Put the peer's address on the firewall blocklist (b)"
          onClick={() => shown?.remoteAddress && requestBlock({ address: shown.remoteAddress, connectionId: shown.id })}
        >
          <BanIcon />
          Block this IP
        </button>
        <span className="muted detail-hint">
          or press <kbd>Delete</kbd> to close, <kbd>b</kbd> to block
        </span>
      </footer>
    </aside>
  );
}

function Field({ label, mono, children }: { label: string; mono?: boolean; children: ReactNode }) {
  return (
    <div className="detail-field">
      <dt>{label}</dt>
      <dd className={mono ? 'mono numeric' : 'numeric'}>{children}</dd>
    </div>
  );
}
