import {
  memo,
  useCallback,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type CSSProperties,
  type ReactNode,
  type Ref,
  type UIEvent,
} from 'react';
import { SortAscendingIcon, SortDescendingIcon } from './icons.tsx';

export interface VirtualColumn<Row> {
  key: string;
  header: string;
  /** Pixels: the minimum when the column grows. */
  width: number;
  /** Takes a share of the space left over; without any such column, the last one does. */
  grow?: boolean;
  /**
   * When the table is too narrow for every column, columns with a drop order
   * are hidden, lowest first, until the rest fit (a detail view shows them).
   */
  dropOrder?: number;
  align?: 'start' | 'end';
  /** Monospace text (ids, addresses). */
  mono?: boolean;
  sortable?: boolean;
  /** May return a component that updates on its own (e.g. a ticking age). */
  cell(row: Row): ReactNode;
  /** Full text for the native tooltip when the cell is truncated. */
  title?(row: Row): string;
}

export interface VirtualTableSort {
  key: string;
  direction: 'asc' | 'desc';
}

export interface VirtualTableHandle {
  scrollToIndex(index: number): void;
  /** Rows that fit in the viewport, for PageUp / PageDown. */
  pageSize(): number;
  focus(): void;
}

export interface VirtualTableProps<Row> {
  rows: readonly Row[];
  columns: readonly VirtualColumn<Row>[];
  rowKey(row: Row): string;
  /** Fixed: it is what makes virtualization exact and cheap. */
  rowHeight: number;
  overscan?: number;
  selectedKey?: string | null;
  onRowClick?(row: Row, index: number): void;
  onRowDoubleClick?(row: Row, index: number): void;
  sort?: VirtualTableSort;
  onSort?(key: string): void;
  ariaLabel: string;
  testId?: string;
  rowTestId?: string;
  /** Extra data-* attributes of a row (keys without the `data-` prefix); module-level, so memoized rows stay memoized. */
  rowData?(row: Row): Record<string, string>;
  /** Extra class names of a row, e.g. a tone. */
  rowClassName?(row: Row): string | undefined;
  /** Shown in the body when there are no rows. */
  empty?: ReactNode;
  handleRef?: Ref<VirtualTableHandle>;
  /** Prefix for row element ids (aria-activedescendant). */
  idPrefix: string;
}

const HEADER_HEIGHT = 30;

/**
 * A windowed table: a sticky header, then a spacer as tall as all rows, with
 * only the rows in view (plus overscan) mounted and absolutely positioned in
 * it. The scroller has `contain: strict`, so 10,000 rows updating ten times
 * a second cost the layout of a screenful.
 */
export function VirtualTable<Row>(props: VirtualTableProps<Row>) {
  const { rows, rowHeight, overscan = 10, rowKey, selectedKey = null } = props;
  const scrollerRef = useRef<HTMLDivElement>(null);
  const [firstVisible, setFirstVisible] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(0);
  const [viewportWidth, setViewportWidth] = useState(0);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const measure = () => {
      setViewportHeight(scroller.clientHeight);
      setViewportWidth(scroller.clientWidth);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(scroller);
    return () => observer.disconnect();
  }, []);

  // Only a change of the first visible row re-renders; scrolling within a row does not.
  const onScroll = useCallback(
    (event: UIEvent<HTMLDivElement>) => setFirstVisible(Math.floor(event.currentTarget.scrollTop / rowHeight)),
    [rowHeight],
  );

  const bodyHeight = Math.max(0, viewportHeight - HEADER_HEIGHT);
  const pageSize = Math.max(1, Math.floor(bodyHeight / rowHeight));

  const scrollToIndex = useCallback(
    (index: number) => {
      const scroller = scrollerRef.current;
      if (!scroller) return;
      const top = index * rowHeight;
      const bottom = top + rowHeight;
      const visibleBody = scroller.clientHeight - HEADER_HEIGHT;
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (bottom > scroller.scrollTop + visibleBody) scroller.scrollTop = bottom - visibleBody;
    },
    [rowHeight],
  );

  useImperativeHandle(
    props.handleRef,
    () => ({ scrollToIndex, pageSize: () => pageSize, focus: () => scrollerRef.current?.focus() }),
    [scrollToIndex, pageSize],
  );

  // Follows the selection when it moves (keyboard), not when rows re-sort under it.
  useEffect(() => {
    if (selectedKey === null) return;
    const index = rowsRef.current.findIndex((row) => rowKey(row) === selectedKey);
    if (index >= 0) scrollToIndex(index);
    // Deliberately not keyed on rows or rowKey: a new frame must not scroll the table.
  }, [selectedKey, scrollToIndex]);

  const start = Math.max(0, Math.min(firstVisible, rows.length) - overscan);
  const end = Math.min(rows.length, firstVisible + pageSize + 1 + overscan);

  const hidden = hiddenColumns(props.columns, viewportWidth);
  // Keyed on the joined keys, so the array (which memoized rows compare) changes only when the set does.
  const columns = useMemo(() => {
    const hide = new Set(hidden.split('\n'));
    return props.columns.filter((c) => !hide.has(c.key));
  }, [props.columns, hidden]);
  const anyGrows = columns.some((c) => c.grow);
  const gridTemplate = columns
    .map((c, i) => (c.grow || (!anyGrows && i === columns.length - 1) ? `minmax(${c.width}px, 1fr)` : `${c.width}px`))
    .join(' ');
  const minWidth = columns.reduce((sum, c) => sum + c.width, 0);
  const layoutStyle = {
    '--vt-grid': gridTemplate,
    '--vt-min-width': `${minWidth}px`,
    '--vt-row-height': `${rowHeight}px`,
    '--vt-header-height': `${HEADER_HEIGHT}px`,
  } as CSSProperties;

  const visible: ReactNode[] = [];
  let selectedRendered = false;
  for (let index = start; index < end; index++) {
    const row = rows[index] as Row;
    const key = rowKey(row);
    if (key === selectedKey) selectedRendered = true;
    visible.push(
      <VirtualRow
        key={key}
        row={row}
        rowId={key}
        index={index}
        top={index * rowHeight}
        selected={key === selectedKey}
        columns={columns}
        onClick={props.onRowClick}
        onDoubleClick={props.onRowDoubleClick}
        testId={props.rowTestId}
        rowData={props.rowData}
        rowClassName={props.rowClassName}
        domId={`${props.idPrefix}-row-${key}`}
      />,
    );
  }

  return (
    <div
      ref={scrollerRef}
      className="vt-scroller"
      style={layoutStyle}
      onScroll={onScroll}
      role="grid"
      aria-label={props.ariaLabel}
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length}
      aria-activedescendant={selectedRendered ? `${props.idPrefix}-row-${selectedKey}` : undefined}
      tabIndex={0}
      data-testid={props.testId}
    >
      <div className="vt-header" role="row" aria-rowindex={1}>
        {columns.map((column) => (
          <HeaderCell key={column.key} column={column} sort={props.sort} onSort={props.onSort} />
        ))}
      </div>
      <div className="vt-body" style={{ height: rows.length * rowHeight }} role="rowgroup">
        {visible}
      </div>
      {rows.length === 0 && props.empty ? <div className="vt-empty">{props.empty}</div> : null}
    </div>
  );
}

/** Keys of the columns to hide at this width, joined into one string. */
export function hiddenColumns<Row>(columns: readonly VirtualColumn<Row>[], width: number): string {
  if (width <= 0) return '';
  let total = columns.reduce((sum, c) => sum + c.width, 0);
  const hidden: string[] = [];
  const droppable = columns.filter((c) => c.dropOrder !== undefined).sort((a, b) => (a.dropOrder ?? 0) - (b.dropOrder ?? 0));
  for (const column of droppable) {
    if (total <= width) break;
    hidden.push(column.key);
    total -= column.width;
  }
  return hidden.join('\n');
}

function HeaderCell<Row>({
  column,
  sort,
  onSort,
}: {
  column: VirtualColumn<Row>;
  sort: VirtualTableSort | undefined;
  onSort: ((key: string) => void) | undefined;
}) {
  const active = sort?.key === column.key;
  const ariaSort = active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined;
  const className = `vt-cell vt-header-cell${column.align === 'end' ? ' vt-end' : ''}`;
  if (!column.sortable || !onSort) {
    return (
      <div className={className} role="columnheader">
        {column.header}
      </div>
    );
  }
  return (
    <div className={className} role="columnheader" aria-sort={ariaSort}>
      <button type="button" className={`vt-sort${active ? ' is-active' : ''}`} onClick={() => onSort(column.key)}>
        <span>{column.header}</span>
        {active ? sort.direction === 'asc' ? <SortAscendingIcon /> : <SortDescendingIcon /> : null}
      </button>
    </div>
  );
}

interface VirtualRowProps<Row> {
  row: Row;
  rowId: string;
  index: number;
  top: number;
  selected: boolean;
  columns: readonly VirtualColumn<Row>[];
  onClick: ((row: Row, index: number) => void) | undefined;
  onDoubleClick: ((row: Row, index: number) => void) | undefined;
  testId: string | undefined;
  rowData: ((row: Row) => Record<string, string>) | undefined;
  rowClassName: ((row: Row) => string | undefined) | undefined;
  domId: string;
}

function dataAttributes(data: Record<string, string> | undefined): Record<string, string> {
  if (!data) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) out[`data-${key}`] = value;
  return out;
}

function VirtualRowImpl<Row>({
  row,
  rowId,
  index,
  top,
  selected,
  columns,
  onClick,
  onDoubleClick,
  testId,
  rowData,
  rowClassName,
  domId,
}: VirtualRowProps<Row>) {
  const extraClass = rowClassName?.(row);
  return (
    <div
      id={domId}
      className={`vt-row${selected ? ' is-selected' : ''}${index % 2 ? ' is-odd' : ''}${extraClass ? ` ${extraClass}` : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-testid={testId}
      data-id={rowId}
      {...dataAttributes(rowData?.(row))}
      onClick={onClick ? () => onClick(row, index) : undefined}
      onDoubleClick={onDoubleClick ? () => onDoubleClick(row, index) : undefined}
    >
      {columns.map((column) => (
        <div
          key={column.key}
          className={`vt-cell${column.align === 'end' ? ' vt-end' : ''}${column.mono ? ' vt-mono' : ''}`}
          role="gridcell"
          title={column.title?.(row)}
        >
          <span className="vt-text">{column.cell(row)}</span>
        </div>
      ))}
    </div>
  );
}

// Rows re-render only when their own data, position or selection changed.
const VirtualRow = memo(VirtualRowImpl) as typeof VirtualRowImpl;
