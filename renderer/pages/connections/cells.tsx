import type { ConnectionRow } from '../../../shared/contract/index.ts';

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
