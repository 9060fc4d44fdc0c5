import type { ListenerStatus } from '../../../shared/contract/index.ts';
import { formatCount, formatEndpoint } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';

const STATE_TONE: Record<ListenerStatus['state'], string> = {
  listening: 'ok',
  starting: 'warning',
  stopped: 'neutral',
  failed: 'danger',
};

/** Entry points, Traefik's word for listeners, with their state and load. */
export function ListenersPanel() {
  const listeners = useAppStore((state) => state.overview.latest?.listeners);
  if (!listeners) return null;
  return (
    <section className="panel" aria-labelledby="listeners-title">
      <header className="panel-header">
        <h2 id="listeners-title">Entry points</h2>
        <span className="panel-meta numeric">{listeners.length}</span>
      </header>
      {listeners.length === 0 ? (
        <p className="panel-empty">No entry points are configured.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" data-testid="listeners-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Protocol</th>
                <th scope="col">Handler</th>
                <th scope="col">Address</th>
                <th scope="col">State</th>
                <th scope="col" className="align-end">
                  Connections
                </th>
              </tr>
            </thead>
            <tbody>
              {listeners.map((listener) => (
                <tr key={listener.name}>
                  <td className="strong">{listener.name}</td>
                  <td className="upper">{listener.protocol}</td>
                  <td>{listener.handler}</td>
                  <td className="mono">{formatEndpoint(listener.host, listener.port)}</td>
                  <td>
                    <span className={`pill pill-${STATE_TONE[listener.state]}`}>{listener.state}</span>
                    {listener.error ? <span className="listener-error">{listener.error}</span> : null}
                  </td>
                  <td className="align-end numeric">{formatCount(listener.connections)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
