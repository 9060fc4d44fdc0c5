/** Where a keyboard move takes the selection in the rows as displayed. */
export type SelectionMove = { by: number } | { to: 'first' | 'last' };

export function moveSelection<Row extends { id: string }>(rows: readonly Row[], selectedId: string | null, move: SelectionMove): string | null {
  if (rows.length === 0) return selectedId;
  if ('to' in move) return (move.to === 'first' ? rows[0] : rows[rows.length - 1])?.id ?? null;
  const current = selectedId === null ? -1 : rows.findIndex((row) => row.id === selectedId);
  // Nothing selected (or the selected row left the view): the first move lands on an edge.
  if (current < 0) return (move.by > 0 ? rows[0] : rows[rows.length - 1])?.id ?? null;
  const next = Math.min(rows.length - 1, Math.max(0, current + move.by));
  return rows[next]?.id ?? null;
}
