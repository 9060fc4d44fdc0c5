import type { ConnectionRow } from '../../../shared/contract/index.ts';
import { BanIcon } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';

export function StateLabel({ state }: { state: ConnectionRow['state'] }) {
  return (
    <span className={`state state-${state}`}>
      <span className="state-dot" aria-hidden="true" />
      {state}
    </span>
  );
}

export function DirectionLabel({ direction }: { direction: ConnectionRow['direction'] }) {
  return (
    <span className={`direction direction-${direction}`} title={direction === 'in' ? 'Inbound: accepted by an entry point' : 'Outbound: opened by this host'}>
      <svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true" className="direction-arrow">
        {direction === 'in' ? <path d="M8 5H2M4.5 2.5 2 5l2.5 2.5" /> : <path d="M2 5h6M5.5 2.5 8 5 5.5 7.5" />}
      </svg>
      {direction}
    </span>
  );
}

/** "Block this IP" on the row itself, as on the detail panel and the b key: asks first, in the block dialog. */
export function BlockPeerButton({ row }: { row: ConnectionRow }) {
  if (!row.remoteAddress) return null;
  return (
    <button
      type="button"
      className="icon-button icon-button-small icon-button-danger"
      aria-label={`Block ${row.remoteAddress}`}
      title={`Block this IP: put ${row.remoteAddress} on the firewall blocklist (b)`}
      data-testid="row-block-ip"
      onClick={(event) => {
        // The row's own click would select it and open the detail panel.
        event.stopPropagation();
        useAppStore.getState().requestBlock({ address: row.remoteAddress, connectionId: row.id });
      }}
    >
      <BanIcon size={14} />
    </button>
  );
}
