import { LockIcon } from '../components/index.ts';

/** Retrying with a cookie the server refused would only fail again: the operator needs a fresh link. */
export function UnauthorizedPage() {
  return (
    <main className="fullpage" data-testid="unauthorized">
      <div className="fullpage-card">
        <LockIcon size={28} className="icon fullpage-icon" />
        <h1>This console session is not authorized</h1>
        <p>
          The server did not accept this browser's session. It happens when <code>netops serve</code> was restarted, or when this
          page was opened without the link the server printed.
        </p>
        <p>Open the console URL printed by <code>netops serve</code> in its terminal, token included:</p>
        <pre className="fullpage-example">console: http://HOST:PORT/?token=…</pre>
        <p className="muted">The token is a secret: anyone with the link can operate this server.</p>
      </div>
    </main>
  );
}
