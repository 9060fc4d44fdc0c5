import type { ChangeEvent, KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { connectionDirection, connectionKind, connectionState } from '../../../shared/contract/index.ts';
import { SEARCH_BOX_ATTRIBUTE, SearchIcon } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import type { SelectionMove } from './selection.ts';

const KIND_OPTIONS = connectionKind.options;
const DIRECTION_OPTIONS = connectionDirection.options;
const STATE_OPTIONS = connectionState.options;

export function ConnectionsToolbar({ onMove }: { onMove(move: SelectionMove): void }) {
  const filters = useAppStore(
    useShallow((state) => ({
      text: state.connections.filterText,
      kind: state.connections.kindFilter,
      direction: state.connections.directionFilter,
      state: state.connections.stateFilter,
    })),
  );
  const setText = useAppStore((state) => state.setConnectionsFilterText);
  const setFilters = useAppStore((state) => state.setConnectionsFilters);
  const clear = useAppStore((state) => state.clearConnectionsFilters);
  const active = filters.text !== '' || filters.kind !== 'all' || filters.direction !== 'all' || filters.state !== 'all';
  const searchProps = { [SEARCH_BOX_ATTRIBUTE]: '' };

  // From the search box the arrows and Enter drive the table, so filtering and picking need no mouse.
  const onSearchKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      onMove({ by: event.key === 'ArrowDown' ? 1 : -1 });
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const { selectedId } = useAppStore.getState().connections;
      if (selectedId === null) onMove({ to: 'first' });
      useAppStore.getState().setConnectionDetailOpen(true);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      if (filters.text) setText('');
      else event.currentTarget.blur();
    }
  };

  return (
    <div className="toolbar" role="search">
      <label className="search">
        <SearchIcon className="icon search-icon" />
        <span className="visually-hidden">Filter connections</span>
        <input
          type="search"
          value={filters.text}
          onChange={(event: ChangeEvent<HTMLInputElement>) => setText(event.target.value)}
          onKeyDown={onSearchKeyDown}
          placeholder="Search, or filter: kind:tcp state:open owner:echo port:7007"
          spellCheck={false}
          autoComplete="off"
          data-testid="connections-search"
          {...searchProps}
        />
        <kbd className="search-hint" aria-hidden="true">
          /
        </kbd>
      </label>
      <FilterSelect label="Kind" value={filters.kind} options={KIND_OPTIONS} testId="filter-kind" onChange={(kindFilter) => setFilters({ kindFilter })} />
      <FilterSelect
        label="Direction"
        value={filters.direction}
        options={DIRECTION_OPTIONS}
        testId="filter-direction"
        onChange={(directionFilter) => setFilters({ directionFilter })}
      />
      <FilterSelect label="State" value={filters.state} options={STATE_OPTIONS} testId="filter-state" onChange={(stateFilter) => setFilters({ stateFilter })} />
      <button type="button" className="button button-ghost" onClick={clear} disabled={!active}>
        Clear filters
      </button>
    </div>
  );
}

function FilterSelect<T extends string>({
  label,
  value,
  options,
  testId,
  onChange,
}: {
  label: string;
  value: T | 'all';
  options: readonly T[];
  testId: string;
  onChange(value: T | 'all'): void;
}) {
  return (
    <label className={`select${value !== 'all' ? ' is-active' : ''}`}>
      <span className="select-label">{label}</span>
      <select value={value} onChange={(event) => onChange(event.target.value as T | 'all')} data-testid={testId}>
        <option value="all">All</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}
