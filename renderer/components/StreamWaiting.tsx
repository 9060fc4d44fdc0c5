import type { ErrorPayload } from '../../shared/errors.ts';

export interface StreamWaitingProps {
  /** The stream's last error; the stream retries on its own. */
  error: ErrorPayload | null;
  /** Whether the console server is connected, so the wait is for the stream's first frame. */
  connected: boolean;
  /** The title shown while the stream fails, e.g. "The firewall state is not available." */
  unavailableTitle: string;
  /** Shown while connected and waiting, e.g. "Loading the firewall…" */
  loadingText: string;
  testId: string;
}

/** What a screen shows before its stream's first frame: a spinner, or the stream's error. */
export function StreamWaiting({ error, connected, unavailableTitle, loadingText, testId }: StreamWaitingProps) {
  if (error) {
    return (
      <div className="empty-state" data-testid={testId}>
        <p className="empty-title">{unavailableTitle}</p>
        <p>
          <code>{error.code}</code> {error.message}
        </p>
        <p>Retrying on its own.</p>
      </div>
    );
  }
  return (
    <div className="empty-state">
      <span className="spinner" aria-hidden="true" />
      <p>{connected ? loadingText : 'Waiting for the console server…'}</p>
    </div>
  );
}
