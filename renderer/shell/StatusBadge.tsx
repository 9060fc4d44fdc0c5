import { useAppStore, type SessionStatus } from '../store/index.ts';
import { useNow } from '../components/index.ts';

const LABELS: Record<SessionStatus, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  unauthorized: 'Unauthorized',
};

export function StatusBadge({ onRetryNow }: { onRetryNow?: () => void }) {
  const status = useAppStore((state) => state.session.status);
  const lastError = useAppStore((state) => state.session.lastError);
  const busy = status === 'connecting' || status === 'reconnecting';
  return (
    <div className="status">
      <span className="status-badge" data-testid="status-badge" data-status={status} role="status" title={busy && lastError ? lastError : undefined}>
        {busy ? <span className="spinner" aria-hidden="true" /> : <span className="status-dot" aria-hidden="true" />}
        <span>{LABELS[status]}</span>
        {status === 'reconnecting' ? <RetryCountdown /> : null}
      </span>
      {status === 'reconnecting' && onRetryNow ? (
        <button type="button" className="button button-ghost button-small" onClick={onRetryNow}>
          Retry now
        </button>
      ) : null}
    </div>
  );
}

function RetryCountdown() {
  const retryAt = useAppStore((state) => state.session.retryAt);
  const now = useNow();
  if (retryAt === null) return null;
  const seconds = Math.ceil((retryAt - now) / 1000);
  // Not announced: a live region that changes every second would drown everything else out.
  return seconds > 0 ? (
    <span className="status-detail" aria-hidden="true">
      in {seconds}s
    </span>
  ) : null;
}
