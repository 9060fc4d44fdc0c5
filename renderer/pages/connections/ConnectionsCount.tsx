import { formatCount, LivePill } from '../../components/index.ts';
import { selectConnectionsView, useAppStore } from '../../store/index.ts';

export function ConnectionsCount() {
  const view = useAppStore(selectConnectionsView);
  const loaded = useAppStore((state) => state.connections.loaded);
  const live = useAppStore((state) => state.session.status === 'connected') && loaded;
  return (
    <div className="count-block">
      <LivePill live={live} />
      <span className="count numeric">
        <span data-testid="connections-count">{formatCount(view.rows.length)}</span>
        <span className="muted"> of {formatCount(view.total)}</span>
      </span>
    </div>
  );
}
