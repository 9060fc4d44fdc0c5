import { ActionsHeader, BanIcon, formatCount } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';

/**
 * What a client's errors are: more than the charts' error rate (5xx and requests that ended without an answer),
 * because a client probing for paths or sending malformed requests is the one an operator is looking for here.
 */
const ERRORS_HINT = 'Answered with a 5xx status, ended without an answer, or refused by the gateway itself as malformed, too large or matching no router';

/** The clients that sent the gateway the most requests in the last minute, each a click from the blocklist. */
export function TopClientsPanel() {
  const clients = useAppStore((state) => state.gateway.traffic?.topClients);
  const requestBlock = useAppStore((state) => state.requestBlock);
  if (!clients) return null;
  return (
    <section className="panel gw-top-clients" aria-labelledby="top-clients-title">
      <header className="panel-header">
        <h2 id="top-clients-title">Top clients</h2>
        <span className="panel-meta">gateway requests, last minute</span>
      </header>
      {clients.length === 0 ? (
        <p className="panel-empty">No gateway requests in the last minute.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table compact-table" data-testid="top-clients">
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col" className="align-end">
                  Requests
                </th>
                <th scope="col" className="align-end" title={ERRORS_HINT}>
                  Errors
                </th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {clients.map((client) => (
                <tr key={client.ip} data-testid="top-client-row" data-ip={client.ip}>
                  <td className="mono">{client.ip}</td>
                  <td className="align-end numeric">{formatCount(client.requests)}</td>
                  <td className={`align-end numeric${client.errors > 0 ? ' tone-danger' : ''}`}>{formatCount(client.errors)}</td>
                  <td className="align-end">
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => requestBlock({ address: client.ip })}
                      title="Put this address on the firewall blocklist"
                      data-testid="top-client-block"
                    >
                      <BanIcon size={14} />
                      Block
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
