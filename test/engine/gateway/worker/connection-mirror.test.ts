import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionTracker, SLOTS } from '../../../../electron/engine/connections/index.ts';
import { ConnectionMirror, type WorkerToControl } from '../../../../electron/engine/gateway/worker/index.ts';

type Update = Extract<WorkerToControl, { t: 'conn-update' }>;
const update = (parts: Partial<Update>): Update => ({ t: 'conn-update', opened: [], counters: [], connected: [], ended: [], kinds: [], closed: [], ...parts });
const open = (id: number, remotePort: number) => ({ id, kind: 'http' as const, direction: 'in' as const, owner: 'web', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '192.0.2.1', remotePort, connecting: false });

describe('ConnectionMirror', () => {
  let tracker: ConnectionTracker;
  afterEach(() => tracker.dispose());

  it("closes a socket with its final counters when the worker gives its place to a new one in the same update", () => {
    tracker = new ConnectionTracker();
    const closedRows: Array<{ remotePort: number; bytesIn: number; bytesOut: number }> = [];
    tracker.onDidClose((row) => closedRows.push(row));
    const mirror = new ConnectionMirror(tracker, () => undefined);
    // Ids as a worker's SlotTable hands them out: the same place (3), a later count.
    const first = 1 * SLOTS + 3;
    const second = 2 * SLOTS + 3;
    mirror.apply(update({ opened: [open(first, 5001)] }));
    mirror.apply(update({ opened: [open(second, 5002)], closed: [{ id: first, bytesRead: 120, bytesWritten: 240 }], counters: [second, 7, 8] }));
    expect(closedRows).toEqual([expect.objectContaining({ remotePort: 5001, bytesIn: 120, bytesOut: 240 })]);
    expect(tracker.list()).toEqual([expect.objectContaining({ remotePort: 5002, bytesIn: 7, bytesOut: 8 })]);
    expect(mirror.size).toBe(1);
    // An event for the old id finds nothing now.
    mirror.apply(update({ ended: [first], closed: [{ id: first, bytesRead: 1, bytesWritten: 1 }] }));
    expect(closedRows).toHaveLength(1);
    mirror.apply(update({ closed: [{ id: second, bytesRead: 9, bytesWritten: 10 }] }));
    expect(closedRows.at(-1)).toMatchObject({ remotePort: 5002, bytesIn: 9, bytesOut: 10 });
    expect(mirror.size).toBe(0);
  });
});
