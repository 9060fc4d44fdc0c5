import type { BlockEntry, BlocklistFrame, BlockRow } from '../../shared/contract/index.ts';

interface Sent {
  entry: Readonly<BlockEntry>;
  hits: number;
  /** The pass that last saw the entry in the blocklist. */
  pass: number;
}

/**
 * What the blocklist stream has sent, so each frame after the snapshot
 * carries only what changed. The firewall replaces an entry's object when
 * the entry changes and moves only `hits` in place (Firewall.blockRecords),
 * so a look at each entry's identity and hits finds every change: new and
 * replaced entries go whole, hits as patches, and what was not seen again is
 * removed. One pass is a few milliseconds for 150,000 entries, where the
 * whole list as JSON was most of a second.
 */
export class BlocklistFeed {
  private readonly sent = new Map<string, Sent>();
  private pass = 0;

  snapshot(entries: Iterable<Readonly<BlockEntry>>): BlocklistFrame {
    this.sent.clear();
    const rows: BlockRow[] = [];
    for (const entry of entries) {
      this.sent.set(entry.address, { entry, hits: entry.hits, pass: this.pass });
      rows.push(toRow(entry));
    }
    return { type: 'snapshot', rows };
  }

  /** What changed since the last frame, or null when nothing did. */
  delta(entries: Iterable<Readonly<BlockEntry>>): BlocklistFrame | null {
    const pass = ++this.pass;
    const upsert: BlockRow[] = [];
    const patch: Array<{ id: string; hits: number }> = [];
    let seen = 0;
    for (const entry of entries) {
      seen++;
      const sent = this.sent.get(entry.address);
      if (sent === undefined) {
        this.sent.set(entry.address, { entry, hits: entry.hits, pass });
        upsert.push(toRow(entry));
        continue;
      }
      sent.pass = pass;
      if (sent.entry !== entry) {
        sent.entry = entry;
        sent.hits = entry.hits;
        upsert.push(toRow(entry));
      } else if (sent.hits !== entry.hits) {
        sent.hits = entry.hits;
        patch.push({ id: entry.address, hits: entry.hits });
      }
    }
    const remove: string[] = [];
    if (this.sent.size > seen) {
      for (const [address, sent] of this.sent) {
        if (sent.pass === pass) continue;
        this.sent.delete(address);
        remove.push(address);
      }
    }
    if (upsert.length === 0 && remove.length === 0 && patch.length === 0) return null;
    return patch.length === 0 ? { type: 'delta', upsert, remove } : { type: 'delta', upsert, remove, patch };
  }
}

function toRow(entry: Readonly<BlockEntry>): BlockRow {
  return { id: entry.address, address: entry.address, reason: entry.reason, addedBy: entry.addedBy, addedAt: entry.addedAt, expiresAt: entry.expiresAt, hits: entry.hits };
}
