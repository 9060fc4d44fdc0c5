import { MAX_SKIPPED_LISTED } from '../../../shared/contract/index.ts';
import type { ParsedCidr } from '../../../shared/net/index.ts';
import { canonicalBlockAddress } from './blocklist.ts';

export interface BlocklistLine {
  line: number;
  address: string;
  cidr: ParsedCidr;
  /** The text after `;` or `#`, e.g. Spamhaus's SBL reference. */
  comment: string;
}

export interface SkippedLine {
  line: number;
  text: string;
  error: string;
}

const MAX_ECHOED_CHARS = 200;

/**
 * Reads a drop list as they are published: one address or CIDR a line,
 * comments after `#` or `;` (Spamhaus DROP: `1.2.3.0/24 ; SBL123`), blank
 * lines ignored. A line that is something else is skipped and reported.
 */
export function parseBlocklistText(text: string): { entries: BlocklistLine[]; skipped: SkippedLine[]; skippedCount: number } {
  const entries: BlocklistLine[] = [];
  const skipped: SkippedLine[] = [];
  let skippedCount = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const cut = raw.search(/[#;]/);
    const content = (cut < 0 ? raw : raw.slice(0, cut)).trim();
    if (content === '') continue;
    const parsed = canonicalBlockAddress(content);
    if (!parsed) {
      skippedCount++;
      if (skipped.length < MAX_SKIPPED_LISTED) {
        const echoed = raw.trim();
        skipped.push({
          line: index + 1,
          text: echoed.length > MAX_ECHOED_CHARS ? `${echoed.slice(0, MAX_ECHOED_CHARS)}…` : echoed,
          error: 'must be an IP address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32',
        });
      }
      continue;
    }
    entries.push({ line: index + 1, address: parsed.address, cidr: parsed.cidr, comment: cut < 0 ? '' : raw.slice(cut + 1).trim() });
  }
  return { entries, skipped, skippedCount };
}
