import { formatByteRate, formatBytes, formatCount, useLiveStream } from '../components/index.ts';
import { useAppStore } from '../store/index.ts';

/** The footer: which server this is, and the vital numbers from every screen. */
export function StatusBar() {
  useLiveStream('overview');
  const server = useAppStore((state) => state.session.server);
  const info = useAppStore((state) => state.session.info);
  const transport = useAppStore((state) => state.session.transport);
  return (
    <footer className="statusbar">
      <div className="statusbar-group">
        {server ? (
          <span>
            {server.product} {server.version}
          </span>
        ) : (
          <span>Not connected</span>
        )}
        {info ? <span title={info.dataDir}>{info.mode === 'headless' ? 'headless' : 'desktop'}</span> : null}
        {transport ? <span>{transport === 'websocket' ? 'WebSocket' : 'IPC'}</span> : null}
        {server ? <span className="mono" title="Instance id">{server.instanceId.slice(0, 8)}</span> : null}
      </div>
      <LiveNumbers />
    </footer>
  );
}

function LiveNumbers() {
  const latest = useAppStore((state) => state.overview.latest);
  if (!latest) return null;
  const c = latest.connections;
  return (
    <div className="statusbar-group numeric">
      <span>{formatCount(c.open)} open</span>
      <span title="Bytes in per second">in {formatByteRate(c.bytesInPerSecond)}</span>
      <span title="Bytes out per second">out {formatByteRate(c.bytesOutPerSecond)}</span>
      <span title="Resident memory of the host process">RSS {formatBytes(latest.host.rssBytes)}</span>
    </div>
  );
}
