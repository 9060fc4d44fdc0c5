import { Buffer } from 'node:buffer';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Disposable } from '../../../../shared/lifecycle.ts';

/** One finished request, as the proxy knows it. */
export interface AccessLogEntry {
  timeMs: number;
  clientIp: string;
  method: string;
  host: string;
  path: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  router: string;
  service: string;
  /** The instance URL, or '' when none was picked. */
  instance: string;
  requestId: string;
  userAgent: string;
}

export interface AccessLogOptions {
  /** An absolute path. */
  file: string;
  /** The file is rotated before a write would take it past this. */
  maxBytes: number;
  /** Rotated files kept: file.1 (newest) to file.<keepFiles>. */
  keepFiles: number;
  /** Buffered lines are written this often, or sooner when the buffer is large. */
  flushIntervalMs?: number;
  /** Past this many buffered bytes (the disk is slower than the traffic), new lines are dropped and counted. */
  maxBufferedBytes?: number;
}

export interface AccessLogCounters {
  written: number;
  dropped: number;
  writeErrors: number;
  rotations: number;
}

const DEFAULT_FLUSH_INTERVAL_MS = 250;
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Start a write early once this much is waiting, so bursts go out in large, cheap appends. */
const EAGER_FLUSH_BYTES = 64 * 1024;

/**
 * The access log: one JSON object per line, appended in the background.
 * log() builds the line and queues it, nothing more; a timer (or a full
 * buffer) writes the queue in one append. The file is rotated by size
 * (access.log -> access.log.1 -> ... -> access.log.<keepFiles>, the oldest
 * dropped). A failed write is counted and its lines dropped: the log never
 * takes a request, or the process, down with it.
 */
export class AccessLog implements Disposable {
  private readonly file: string;
  private readonly maxBytes: number;
  private readonly keepFiles: number;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedBytes: number;

  private pending: string[] = [];
  /** UTF-16 length of the pending lines: close enough to bytes to bound the buffer without encoding. */
  private pendingChars = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> | undefined;
  private handle: FileHandle | undefined;
  private size = -1;
  private disposed = false;
  private lastTimeMs = -1;
  private lastTimeText = '';

  private written = 0;
  private dropped = 0;
  private writeErrors = 0;
  private rotations = 0;

  constructor(options: AccessLogOptions) {
    this.file = options.file;
    this.maxBytes = options.maxBytes;
    this.keepFiles = Math.max(1, options.keepFiles);
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  log(entry: AccessLogEntry): void {
    if (this.disposed || this.pendingChars > this.maxBufferedBytes) {
      this.dropped++;
      return;
    }
    // Numbers are checked because a NaN would make the line invalid JSON and a bad time would throw.
    const line =
      `{"time":"${this.isoTime(finite(entry.timeMs))}","client":${JSON.stringify(entry.clientIp)},"method":${JSON.stringify(entry.method)}` +
      `,"host":${JSON.stringify(entry.host)},"path":${JSON.stringify(entry.path)},"status":${finite(entry.status)}` +
      `,"bytesIn":${finite(entry.bytesIn)},"bytesOut":${finite(entry.bytesOut)},"durationMs":${Math.round(finite(entry.durationMs) * 1000) / 1000}` +
      `,"router":${JSON.stringify(entry.router)},"service":${JSON.stringify(entry.service)},"instance":${JSON.stringify(entry.instance)}` +
      `,"requestId":${JSON.stringify(entry.requestId)},"userAgent":${JSON.stringify(entry.userAgent)}}\n`;
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= EAGER_FLUSH_BYTES && this.writing === undefined) this.startWrite();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.writing === undefined) this.startWrite();
      }, this.flushIntervalMs);
      this.timer.unref?.();
    }
  }

  counters(): AccessLogCounters {
    return { written: this.written, dropped: this.dropped, writeErrors: this.writeErrors, rotations: this.rotations };
  }

  /** Writes everything queued so far. */
  async flush(): Promise<void> {
    while (this.writing !== undefined || this.pending.length > 0) {
      if (this.writing === undefined) this.startWrite();
      await this.writing;
    }
  }

  /** Flushes, then closes the file. */
  async close(): Promise<void> {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  /** Stops taking lines and writes what is queued in the background (close() to wait for it). */
  dispose(): void {
    if (this.disposed) return;
    void this.close();
  }

  private isoTime(timeMs: number): string {
    if (timeMs !== this.lastTimeMs) {
      this.lastTimeMs = timeMs;
      this.lastTimeText = new Date(timeMs).toISOString();
    }
    return this.lastTimeText;
  }

  private startWrite(): void {
    const lines = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    this.writing = this.writeLines(lines).finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0 && this.timer === undefined && !this.disposed) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.writing === undefined) this.startWrite();
        }, 0);
        this.timer.unref?.();
      }
    });
  }

  private async writeLines(lines: string[]): Promise<void> {
    let index = 0;
    try {
      if (this.handle === undefined) await this.openFile();
      while (index < lines.length) {
        // As many lines as fit in the current file; a file always takes at least one line.
        let chunk = '';
        let chunkBytes = 0;
        let count = 0;
        while (index + count < lines.length) {
          const line = lines[index + count]!;
          const bytes = Buffer.byteLength(line);
          if (this.size + chunkBytes + bytes > this.maxBytes && (this.size > 0 || count > 0)) break;
          chunk += line;
          chunkBytes += bytes;
          count++;
        }
        if (count === 0) {
          await this.rotate();
          continue;
        }
        await this.handle!.write(chunk);
        this.size += chunkBytes;
        this.written += count;
        index += count;
      }
    } catch {
      this.writeErrors++;
      this.dropped += lines.length - index;
      // Reopen on the next write: the file may have been moved or its disk remounted.
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close().catch(() => undefined);
    }
  }

  private async openFile(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    this.handle = await open(this.file, 'a', 0o640);
    this.size = (await this.handle.stat()).size;
  }

  private async rotate(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
    await rm(`${this.file}.${this.keepFiles}`, { force: true });
    for (let n = this.keepFiles - 1; n >= 1; n--) {
      const from = `${this.file}.${n}`;
      if (await exists(from)) await rename(from, `${this.file}.${n + 1}`);
    }
    await rename(this.file, `${this.file}.1`);
    this.rotations++;
    await this.openFile();
  }
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
