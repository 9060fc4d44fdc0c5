import { z } from 'zod';

/**
 * A live table travels as one snapshot and then deltas keyed by id: whole
 * rows to add or replace, ids to remove, and patches that carry only the
 * fields that moved (byte counters tick on thousands of rows at once; the
 * rest of a row does not). The RPC layer merges pending deltas per id, so a
 * slow client receives the newest state of each row rather than every
 * intermediate one.
 */
function buildTableFrameSchema<Row extends z.ZodType, Patch extends z.ZodType>(row: Row, patch: Patch) {
  return z.discriminatedUnion('type', [
    z.object({ type: z.literal('snapshot'), rows: z.array(row) }),
    z.object({ type: z.literal('delta'), upsert: z.array(row), remove: z.array(z.string()), patch: z.array(patch).optional() }),
  ]);
}

const noPatch = z.object({ id: z.string() }).strict();

/** A table stream's frames; `patch` names the fields a patch may carry (none unless given). */
export function tableFrameSchema<Row extends z.ZodType>(row: Row): ReturnType<typeof buildTableFrameSchema<Row, typeof noPatch>>;
export function tableFrameSchema<Row extends z.ZodType, Patch extends z.ZodType>(
  row: Row,
  patch: Patch,
): ReturnType<typeof buildTableFrameSchema<Row, Patch>>;
export function tableFrameSchema(row: z.ZodType, patch: z.ZodType = noPatch) {
  return buildTableFrameSchema(row, patch);
}

export type RowPatch<Row> = Partial<Row> & { id: string };

export type TableFrame<Row> =
  | { type: 'snapshot'; rows: Row[] }
  | { type: 'delta'; upsert: Row[]; remove: string[]; patch?: Array<RowPatch<Row>> };

/**
 * Applies frames to a map, replacing it (never mutating) so React and zustand
 * see a new value; a patched row becomes a new object. Within a delta:
 * removals, then whole rows, then patches (a patch for an unknown row is
 * dropped).
 */
export function applyTableFrame<Row extends { id: string }>(
  current: ReadonlyMap<string, Row>,
  frame: TableFrame<Row>,
): Map<string, Row> {
  if (frame.type === 'snapshot') return new Map(frame.rows.map((row) => [row.id, row]));
  const next = new Map(current);
  for (const id of frame.remove) next.delete(id);
  for (const row of frame.upsert) next.set(row.id, row);
  for (const patch of frame.patch ?? []) {
    const row = next.get(patch.id);
    if (row) next.set(patch.id, { ...row, ...patch });
  }
  return next;
}
