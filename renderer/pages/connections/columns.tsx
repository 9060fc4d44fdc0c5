import type { ConnectionRow } from '../../../shared/contract/index.ts';
import { Age, formatBytes, formatCount, formatEndpoint, formatTimestamp, type VirtualColumn } from '../../components/index.ts';
import type { ConnectionSortKey } from '../../store/index.ts';
import { BlockPeerButton, DirectionLabel, StateLabel } from './cells.tsx';

interface ConnectionColumn extends VirtualColumn<ConnectionRow> {
  key: ConnectionSortKey | 'actions';
}

/**
 * Module-level and therefore stable: memoized rows compare columns by identity.
 * When the detail panel narrows the table, Local goes first (for inbound rows it
 * is the entry point's own address), then Dir, Age and Bytes out. Age and Last
 * activity are as wide as their longest text, "23h 59m" and "59m 59s ago".
 */
export const CONNECTION_COLUMNS: readonly ConnectionColumn[] = [
  { key: 'id', header: 'ID', width: 80, mono: true, sortable: true, cell: (r) => r.id, title: (r) => r.id },
  { key: 'kind', header: 'Kind', width: 56, sortable: true, cell: (r) => <span className="tag">{r.kind}</span> },
  { key: 'direction', header: 'Dir', width: 56, dropOrder: 2, sortable: true, cell: (r) => <DirectionLabel direction={r.direction} /> },
  { key: 'state', header: 'State', width: 96, sortable: true, cell: (r) => <StateLabel state={r.state} /> },
  {
    key: 'local',
    header: 'Local',
    width: 156,
    dropOrder: 1,
    mono: true,
    sortable: true,
    cell: (r) => formatEndpoint(r.localAddress, r.localPort),
    title: (r) => formatEndpoint(r.localAddress, r.localPort),
  },
  {
    key: 'remote',
    header: 'Remote',
    width: 156,
    mono: true,
    sortable: true,
    cell: (r) => formatEndpoint(r.remoteAddress, r.remotePort),
    title: (r) => formatEndpoint(r.remoteAddress, r.remotePort),
  },
  { key: 'owner', header: 'Owner', width: 104, grow: true, sortable: true, cell: (r) => r.owner, title: (r) => r.owner },
  {
    key: 'bytesIn',
    header: 'Bytes in',
    width: 84,
    align: 'end',
    sortable: true,
    cell: (r) => formatBytes(r.bytesIn),
    title: (r) => `${formatCount(r.bytesIn)} bytes`,
  },
  {
    key: 'bytesOut',
    header: 'Bytes out',
    width: 84,
    dropOrder: 4,
    align: 'end',
    sortable: true,
    cell: (r) => formatBytes(r.bytesOut),
    title: (r) => `${formatCount(r.bytesOut)} bytes`,
  },
  {
    key: 'age',
    header: 'Age',
    width: 84,
    dropOrder: 3,
    align: 'end',
    sortable: true,
    cell: (r) => <Age since={r.createdAt} />,
    title: (r) => `opened ${formatTimestamp(r.createdAt)}`,
  },
  {
    key: 'lastActivity',
    header: 'Last activity',
    width: 116,
    align: 'end',
    sortable: true,
    cell: (r) => <Age since={r.lastActivityAt} suffix=" ago" />,
    title: (r) => formatTimestamp(r.lastActivityAt),
  },
  // Every row's "Block this IP"; never dropped when the table narrows.
  { key: 'actions', header: '', width: 44, align: 'end', cell: (r) => <BlockPeerButton row={r} /> },
];
