import { useRef } from 'react';
import { useLiveStream, type VirtualTableHandle } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { BlockAddressDialog } from '../firewall/index.ts';
import { CloseConnectionDialog } from './CloseConnectionDialog.tsx';
import { ConnectionDetail } from './ConnectionDetail.tsx';
import { ConnectionsCount } from './ConnectionsCount.tsx';
import { ConnectionsTable } from './ConnectionsTable.tsx';
import { ConnectionsToolbar } from './ConnectionsToolbar.tsx';
import { useConnectionsKeyboard } from './use-connections-keyboard.ts';

export function ConnectionsPage() {
  useLiveStream('connections');
  const tableRef = useRef<VirtualTableHandle>(null);
  const moveBy = useConnectionsKeyboard(tableRef);
  const detailOpen = useAppStore((state) => state.connections.detailOpen);
  return (
    <div className="page page-fill">
      <header className="page-header">
        <div>
          <h1>Connections</h1>
          <p className="page-subtitle">Every socket the host holds, live. Select a row for details.</p>
        </div>
        <ConnectionsCount />
      </header>
      <ConnectionsToolbar onMove={moveBy} />
      <div className={`split${detailOpen ? ' has-detail' : ''}`}>
        <ConnectionsTable tableRef={tableRef} />
        {detailOpen ? <ConnectionDetail /> : null}
      </div>
      <CloseConnectionDialog />
      <BlockAddressDialog />
    </div>
  );
}
