import { LockIcon } from '../components/index.ts';
import { StatusBadge } from './StatusBadge.tsx';

/** Where the operator should look for the link: this very host and port, when the page came over http. */
function consoleUrlExample(): string {
  const { protocol, host } = window.location;
  const origin = protocol === 'http:' || protocol === 'https:' ? `${protocol}//${host}` : 'http://HOST:PORT';
  return `console: ${origin}/?token=…`;
}

/** Retrying with a cookie the server refused would only fail again: the operator needs a fresh link. */
export function UnauthorizedPage() {
  return (
    <main className="fullpage" data-testid="unauthorized">
      <div className="fullpage-card">
        <div className="fullpage-head">
          <LockIcon size={28} className="icon fullpage-icon" />
          <StatusBadge />
        </div>
        <h1>This console session is not authorized</h1>
        <p>
          The server did not accept this browser's session. It happens when <code>netops serve</code> was restarted with a new
          token, or when this page was opened without the link the server printed.
        </p>
        <p>
          Open the console URL printed by <code>netops serve</code> in its terminal, token included:
        </p>
        <pre className="fullpage-example">{consoleUrlExample()}</pre>
        <p className="muted">The token is a secret: anyone with the link can operate this server.</p>
      </div>
    </main>
  );
}
