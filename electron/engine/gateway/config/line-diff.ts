/**
 * Line diffs for the config history and for edits that keep the file's own
 * formatting. Myers' O(ND) algorithm after trimming the common head and
 * tail, which is where config edits leave almost everything. Past
 * MAX_EDIT_DISTANCE changed lines the middle is reported as deleted and
 * inserted whole, so two unrelated 100,000-line files cost linear time and
 * memory instead of quadratic.
 */

export const OP_EQUAL = 0;
export const OP_DELETE = 1;
export const OP_INSERT = 2;

/** An edit script: for each op, its kind and the line index in `from` (equal, delete) or `to` (insert). */
export interface LineDiff {
  readonly ops: Uint8Array;
  /** Line in `from` for equal and delete; for insert, the position in `from` it goes before. */
  readonly fromLines: Int32Array;
  /** Line in `to` for equal and insert; for delete, the position in `to` it would have had. */
  readonly toLines: Int32Array;
}

const MAX_EDIT_DISTANCE = 2_000;

export function diffLines(from: readonly string[], to: readonly string[]): LineDiff {
  let head = 0;
  while (head < from.length && head < to.length && from[head] === to[head]) head++;
  let tail = 0;
  while (tail < from.length - head && tail < to.length - head && from[from.length - 1 - tail] === to[to.length - 1 - tail]) tail++;

  const builder = new OpBuilder();
  for (let i = 0; i < head; i++) builder.push(OP_EQUAL, i, i);
  middle(from, to, head, from.length - tail, head, to.length - tail, builder);
  for (let i = 0; i < tail; i++) builder.push(OP_EQUAL, from.length - tail + i, to.length - tail + i);
  return builder.finish();
}

class OpBuilder {
  private ops: number[] = [];
  private fromLines: number[] = [];
  private toLines: number[] = [];

  push(op: number, fromLine: number, toLine: number): void {
    this.ops.push(op);
    this.fromLines.push(fromLine);
    this.toLines.push(toLine);
  }

  finish(): LineDiff {
    return { ops: Uint8Array.from(this.ops), fromLines: Int32Array.from(this.fromLines), toLines: Int32Array.from(this.toLines) };
  }
}

/** Myers over from[a0, a1) and to[b0, b1); both ends differ (or a side is empty). */
function middle(from: readonly string[], to: readonly string[], a0: number, a1: number, b0: number, b1: number, out: OpBuilder): void {
  const n = a1 - a0;
  const m = b1 - b0;
  const whole = (): void => {
    for (let i = a0; i < a1; i++) out.push(OP_DELETE, i, b0);
    for (let j = b0; j < b1; j++) out.push(OP_INSERT, a1, j);
  };
  if (n === 0 || m === 0) return whole();

  // trace[d][k + d] is the furthest x on diagonal k after d edits.
  const trace: Int32Array[] = [];
  let previous = new Int32Array(1);
  let found = -1;
  const limit = Math.min(n + m, MAX_EDIT_DISTANCE);
  for (let d = 0; d <= limit && found < 0; d++) {
    const current = new Int32Array(2 * d + 1);
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (d === 0) x = 0;
      else if (k === -d || (k !== d && previous[k - 1 + d - 1]! < previous[k + 1 + d - 1]!)) x = previous[k + 1 + d - 1]!;
      else x = previous[k - 1 + d - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && from[a0 + x] === to[b0 + y]) {
        x++;
        y++;
      }
      current[k + d] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.push(current);
    previous = current;
  }
  if (found < 0) return whole();

  // Walk back from (n, m), collecting ops in reverse.
  const reversed: number[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prior = trace[d - 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && prior[k - 1 + d - 1]! < prior[k + 1 + d - 1]!);
    const priorK = down ? k + 1 : k - 1;
    const priorX = prior[priorK + d - 1]!;
    const priorY = priorX - priorK;
    const startX = down ? priorX : priorX + 1;
    const startY = down ? priorY + 1 : priorY;
    while (x > startX && y > startY) {
      x--;
      y--;
      reversed.push(OP_EQUAL, x, y);
    }
    if (down) reversed.push(OP_INSERT, priorX, priorY);
    else reversed.push(OP_DELETE, priorX, priorY);
    x = priorX;
    y = priorY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    reversed.push(OP_EQUAL, x, y);
  }
  for (let i = reversed.length - 3; i >= 0; i -= 3) out.push(reversed[i]!, a0 + reversed[i + 1]!, b0 + reversed[i + 2]!);
}

/**
 * A unified diff (`diff -u` format, 3 lines of context) from one text to
 * another; '' when they are equal.
 */
export function unifiedDiff(fromText: string, toText: string, fromLabel: string, toLabel: string, context = 3): string {
  const from = splitLines(fromText);
  const to = splitLines(toText);
  const diff = diffLines(from, to);
  const { ops, fromLines, toLines } = diff;
  const changed: number[] = [];
  for (let i = 0; i < ops.length; i++) if (ops[i] !== OP_EQUAL) changed.push(i);
  if (changed.length === 0) return '';

  const out: string[] = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  let next = 0;
  while (next < changed.length) {
    const start = Math.max(0, changed[next]! - context);
    let end = Math.min(ops.length, changed[next]! + context + 1);
    next++;
    // Changes whose context touches merge into one hunk.
    while (next < changed.length && changed[next]! - context <= end) {
      end = Math.min(ops.length, changed[next]! + context + 1);
      next++;
    }
    let fromCount = 0;
    let toCount = 0;
    const body: string[] = [];
    for (let i = start; i < end; i++) {
      const op = ops[i]!;
      if (op === OP_EQUAL) {
        body.push(` ${from[fromLines[i]!]}`);
        fromCount++;
        toCount++;
      } else if (op === OP_DELETE) {
        body.push(`-${from[fromLines[i]!]}`);
        fromCount++;
      } else {
        body.push(`+${to[toLines[i]!]}`);
        toCount++;
      }
    }
    // As diff -u: an empty side names the line before it.
    const fromStart = fromCount === 0 ? fromLines[start]! : fromLines[start]! + 1;
    const toStart = toCount === 0 ? toLines[start]! : toLines[start]! + 1;
    out.push(`@@ -${fromStart},${fromCount} +${toStart},${toCount} @@`, ...body);
  }
  return `${out.join('\n')}\n`;
}

/** Lines without their terminators; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
