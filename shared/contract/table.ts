import { z } from 'zod';

/**
 * A live table travels as one snapshot and then deltas keyed by id. The RPC
 * layer merges pending deltas per id, so a slow client receives the newest
 * state of each row rather than every intermediate one.
 */
export function tableFrameSchema<Row extends z.ZodType>(row: Row) {
  return z.discriminatedUnion('type', [
    z.object({ type: z.literal('snapshot'), rows: z.array(row) }),
    z.object({ type: z.literal('delta'), upsert: z.array(row), remove: z.array(z.string()) }),
  ]);
}

export type TableFrame<Row> =
  | { type: 'snapshot'; rows: Row[] }
  | { type: 'delta'; upsert: Row[]; remove: string[] };

/** Applies frames to a map, replacing it (never mutating) so React and zustand see a new value. */
export function applyTableFrame<Row extends { id: string }>(
  current: ReadonlyMap<string, Row>,
  frame: TableFrame<Row>,
): Map<string, Row> {
  if (frame.type === 'snapshot') return new Map(frame.rows.map((row) => [row.id, row]));
  const next = new Map(current);
  for (const id of frame.remove) next.delete(id);
  for (const row of frame.upsert) next.set(row.id, row);
  return next;
}
