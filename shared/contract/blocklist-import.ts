import { ErrorCodes, isNetopsError, NetopsError } from '../errors.ts';
import { MAX_TEXT_CHARS } from './common.ts';

/**
 * A drop list goes to firewall.importBlocklist in parts cut at line breaks,
 * so a list of any size up to BLOCKLIST_FILE_MAX_CHARS fits the console's
 * one-message limit, the server never holds more than a part, and the UI
 * can show progress. Importing is additive, so parts in a row are the same
 * as the whole.
 */
export const BLOCKLIST_PART_CHARS = 256 * 1024;
/** The largest drop list the CLI and the UI take: 16 Mi characters, about a million entries. */
export const BLOCKLIST_FILE_MAX_CHARS = 16 * 1024 * 1024;
/** A line longer than this is no address: it is sent cut to this length, to be skipped (or ignored as a comment) by the server. */
const LONG_LINE_KEPT_CHARS = 1000;
/** Skipped lines listed back, by the server for a part and here for the whole: a file of garbage should not come back as a bigger file of errors. */
export const MAX_SKIPPED_LISTED = 1000;

export interface BlocklistPart {
  text: string;
  /** The line of the whole text that is line 1 of this part. */
  firstLine: number;
}

export interface BlocklistImportResult {
  added: number;
  skipped: { line: number; text: string; error: string }[];
}

/** Cuts `text` into parts of at most `maxChars`, each ending at a line break, keeping line numbers. */
export function splitBlocklistText(text: string, maxChars = BLOCKLIST_PART_CHARS): BlocklistPart[] {
  if (maxChars < LONG_LINE_KEPT_CHARS + 2 || maxChars > MAX_TEXT_CHARS) throw new RangeError(`maxChars must be ${LONG_LINE_KEPT_CHARS + 2}..${MAX_TEXT_CHARS}`);
  const parts: BlocklistPart[] = [];
  let start = 0;
  let line = 1;
  while (start < text.length) {
    const end = Math.min(text.length, start + maxChars);
    // After the last \n within reach, so a \r\n stays whole; the server counts \r\n, \n and \r as one break each.
    let cut = end === text.length ? end : text.lastIndexOf('\n', end - 1) + 1;
    if (cut <= start && end < text.length) {
      // Old Mac line ends: a \r with its next character within reach, which is then no \n.
      const cr = text.lastIndexOf('\r', end - 2);
      if (cr >= start) cut = cr + 1;
    }
    let part: string;
    if (cut > start) {
      part = text.slice(start, cut);
    } else {
      // One line longer than a part: it goes alone, cut short, and the rest of it is passed over.
      const next = text.slice(end).search(/\r\n|\n|\r/);
      cut = next < 0 ? text.length : end + next + (text.startsWith('\r\n', end + next) ? 2 : 1);
      part = `${text.slice(start, start + LONG_LINE_KEPT_CHARS)}\n`;
    }
    parts.push({ text: part, firstLine: line });
    line += countLineBreaks(text, start, cut);
    start = cut;
  }
  return parts;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) breaks++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) breaks++;
  }
  return breaks;
}

/**
 * Imports `text` part by part through `importPart` (one firewall.importBlocklist
 * call each), and reports the whole: entries added, and skipped lines numbered
 * as in `text`. `onProgress` hears how many parts there are, then of each one done.
 */
export async function importBlocklistInParts(
  text: string,
  importPart: (text: string) => Promise<BlocklistImportResult>,
  onProgress?: (partsDone: number, parts: number) => void,
): Promise<BlocklistImportResult> {
  const parts = splitBlocklistText(text);
  const total: BlocklistImportResult = { added: 0, skipped: [] };
  onProgress?.(0, parts.length);
  for (const [index, part] of parts.entries()) {
    let result: BlocklistImportResult;
    try {
      result = await importPart(part.text);
    } catch (error) {
      if (index === 0) throw error;
      // The parts before it are in: say so, or the operator takes a failed import for one that changed nothing.
      const code = isNetopsError(error) ? error.code : ErrorCodes.internal;
      const why = error instanceof Error ? error.message : String(error);
      throw new NetopsError(code, `part ${index + 1} of ${parts.length} (from line ${part.firstLine}) failed, after ${total.added} entries were added: ${why}`, { cause: error });
    }
    total.added += result.added;
    for (const skip of result.skipped) {
      if (total.skipped.length >= MAX_SKIPPED_LISTED) break;
      total.skipped.push({ ...skip, line: skip.line + part.firstLine - 1 });
    }
    onProgress?.(index + 1, parts.length);
  }
  return total;
}
