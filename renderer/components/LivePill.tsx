/** "Live" while a stream's updates arrive, "Paused" otherwise. */
export function LivePill({ live }: { live: boolean }) {
  return (
    <span className={`live-pill${live ? ' is-live' : ''}`} title={live ? 'Receiving live updates' : 'Live updates paused'}>
      <span className="live-dot" aria-hidden="true" />
      {live ? 'Live' : 'Paused'}
    </span>
  );
}
