import { useCallback, useEffect, type RefObject } from 'react';
import { isEditableTarget, type VirtualTableHandle } from '../../components/index.ts';
import { selectConnectionsView, useAppStore } from '../../store/index.ts';
import { moveSelection, type SelectionMove } from './selection.ts';

/** Controls keep Enter and Space for themselves. */
function isInteractive(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.closest('button, a, select, summary, [role="button"]') !== null;
}

/**
 * Table keys for the Connections screen: arrows / PgUp / PgDn / Home / End
 * move the selection, Enter opens the detail panel, Delete asks to close the
 * selected connection, b asks to block its peer, Esc closes the panel. Returns the move function for
 * the search box to share.
 */
export function useConnectionsKeyboard(tableRef: RefObject<VirtualTableHandle | null>): (move: SelectionMove) => void {
  const move = useCallback((m: SelectionMove) => {
    const state = useAppStore.getState();
    const next = moveSelection(selectConnectionsView(state).rows, state.connections.selectedId, m);
    if (next !== state.connections.selectedId) state.selectConnection(next);
  }, []);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isEditableTarget(event.target) || document.querySelector('dialog[open]')) return;
      const state = useAppStore.getState();
      const page = tableRef.current?.pageSize() ?? 10;
      const { selectedId, detailOpen } = state.connections;
      switch (event.key) {
        case 'ArrowDown':
        case 'ArrowUp':
        case 'PageDown':
        case 'PageUp':
        case 'Home':
        case 'End': {
          event.preventDefault();
          if (event.key === 'Home' || event.key === 'End') move({ to: event.key === 'Home' ? 'first' : 'last' });
          else {
            const step = event.key.startsWith('Page') ? page : 1;
            move({ by: event.key === 'ArrowDown' || event.key === 'PageDown' ? step : -step });
          }
          return;
        }
        case 'Enter': {
          if (isInteractive(event.target)) return;
          event.preventDefault();
          if (selectedId === null) move({ to: 'first' });
          useAppStore.getState().setConnectionDetailOpen(true);
          return;
        }
        case 'Delete': {
          if (selectedId !== null && state.connections.rows.has(selectedId)) {
            event.preventDefault();
            state.requestConnectionClose(selectedId);
          }
          return;
        }
        case 'b': {
          const row = selectedId === null ? undefined : state.connections.rows.get(selectedId);
          if (row?.remoteAddress) {
            event.preventDefault();
            state.requestBlock({ address: row.remoteAddress, connectionId: row.id });
          }
          return;
        }
        case 'Escape': {
          if (detailOpen) {
            event.preventDefault();
            state.setConnectionDetailOpen(false);
            tableRef.current?.focus();
          }
          return;
        }
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [move, tableRef]);

  return move;
}
