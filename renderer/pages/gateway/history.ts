/**
 * The config history's view logic: which two versions are compared, and how
 * a unified diff's lines are coloured.
 */

/** Ticking a third version drops the one ticked first, so two are compared at most. */
export function toggleVersionPick(picked: readonly number[], id: number): number[] {
  if (picked.includes(id)) return picked.filter((item) => item !== id);
  return [...picked, id].slice(-2);
}

/** Older first, whatever order they were ticked in. */
export function diffRange(picked: readonly number[]): { from: number; to: number } | null {
  if (picked.length !== 2) return null;
  const [a, b] = picked as [number, number];
  return a < b ? { from: a, to: b } : { from: b, to: a };
}

export type DiffLineKind = 'add' | 'remove' | 'hunk' | 'file' | 'context';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

export function classifyDiff(diff: string): DiffLine[] {
  const lines = diff.endsWith('\n') ? diff.slice(0, -1).split('\n') : diff.split('\n');
  return lines.map((text) => {
    if (text.startsWith('+++') || text.startsWith('---')) return { kind: 'file', text };
    if (text.startsWith('@@')) return { kind: 'hunk', text };
    if (text.startsWith('+')) return { kind: 'add', text };
    if (text.startsWith('-')) return { kind: 'remove', text };
    return { kind: 'context', text };
  });
}

/** `+3 −1`, for the diff's header. */
export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'add') added++;
    else if (line.kind === 'remove') removed++;
  }
  return { added, removed };
}
