import type { CoalesceMode, RowPatch, TableFrame } from '../contract/index.ts';
import type { Disposable } from '../lifecycle.ts';

/** 10 frames a second per stream is all a person can read, and all the wire needs. */
export const STREAM_FRAME_INTERVAL_MS = 100;

export interface CoalescerTarget {
  send(frame: unknown): void;
  isCongested(): boolean;
}

type Row = { id: string };

/**
 * Sits between a stream's source and the wire. The source pushes frames as
 * fast as they happen; the coalescer sends at most one frame per interval,
 * and while the peer is congested it keeps merging, so memory is bounded by
 * the size of the state, never by time.
 */
export class StreamCoalescer implements Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSentAt = -Infinity;
  private disposed = false;

  // 'latest' mode
  private hasLatest = false;
  private latest: unknown;

  // 'table' mode: id -> newest whole row, or null for a removal the peer must see
  private pending = new Map<string, Row | null>();
  // id -> merged field changes of a row the peer already has
  private pendingPatches = new Map<string, RowPatch<Row>>();
  private pendingIsSnapshot = false;
  private known = new Set<string>();

  constructor(
    private readonly mode: CoalesceMode,
    private readonly target: CoalescerTarget,
    private readonly intervalMs = STREAM_FRAME_INTERVAL_MS,
  ) {}

  push(frame: unknown): void {
    if (this.disposed) return;
    if (this.mode === 'latest') {
      this.latest = frame;
      this.hasLatest = true;
    } else {
      this.mergeTableFrame(frame as TableFrame<Row>);
    }
    this.schedule();
  }

  private mergeTableFrame(frame: TableFrame<Row>): void {
    if (frame.type === 'snapshot') {
      this.pending = new Map(frame.rows.map((row) => [row.id, row]));
      this.pendingPatches.clear();
      this.pendingIsSnapshot = true;
      return;
    }
    for (const id of frame.remove) {
      this.pendingPatches.delete(id);
      if (this.pendingIsSnapshot || !this.known.has(id)) this.pending.delete(id);
      else this.pending.set(id, null);
    }
    for (const row of frame.upsert) {
      this.pendingPatches.delete(row.id);
      this.pending.set(row.id, row);
    }
    for (const patch of frame.patch ?? []) this.mergePatch(patch);
  }

  private mergePatch(patch: RowPatch<Row>): void {
    if (this.pending.has(patch.id)) {
      // A whole row is pending: fold the patch in; a pending removal wins.
      const row = this.pending.get(patch.id);
      if (row) this.pending.set(patch.id, { ...row, ...patch });
      return;
    }
    // Only rows the peer has can be patched; anything else was never sent or is already gone.
    if (this.pendingIsSnapshot || !this.known.has(patch.id)) return;
    const earlier = this.pendingPatches.get(patch.id);
    this.pendingPatches.set(patch.id, earlier ? { ...earlier, ...patch } : patch);
  }

  private get hasPending(): boolean {
    return this.mode === 'latest' ? this.hasLatest : this.pendingIsSnapshot || this.pending.size > 0 || this.pendingPatches.size > 0;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.disposed) return;
    const wait = Math.max(0, this.lastSentAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.disposed || !this.hasPending) return;
    if (this.target.isCongested()) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      return;
    }
    this.lastSentAt = Date.now();
    this.target.send(this.mode === 'latest' ? this.takeLatest() : this.takeTableFrame());
  }

  private takeLatest(): unknown {
    const frame = this.latest;
    this.latest = undefined;
    this.hasLatest = false;
    return frame;
  }

  private takeTableFrame(): TableFrame<Row> {
    const pending = this.pending;
    const patches = this.pendingPatches;
    this.pending = new Map();
    this.pendingPatches = new Map();
    if (this.pendingIsSnapshot) {
      this.pendingIsSnapshot = false;
      this.known = new Set(pending.keys());
      return { type: 'snapshot', rows: [...pending.values()] as Row[] };
    }
    const upsert: Row[] = [];
    const remove: string[] = [];
    for (const [id, row] of pending) {
      if (row === null) {
        remove.push(id);
        this.known.delete(id);
      } else {
        upsert.push(row);
        this.known.add(id);
      }
    }
    return patches.size > 0 ? { type: 'delta', upsert, remove, patch: [...patches.values()] } : { type: 'delta', upsert, remove };
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.pendingPatches.clear();
    this.known.clear();
    this.latest = undefined;
  }
}
