import { randomBytes } from 'node:crypto';
import { MAX_UPLOAD_CHARS } from '../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../shared/errors.ts';
import type { Disposable } from '../../shared/lifecycle.ts';

/** Uploads in progress at once: each can hold MAX_UPLOAD_CHARS, so this bounds what clients can park here. */
export const MAX_OPEN_UPLOADS = 4;
/** An upload nobody appends to or uses for this long is dropped. */
export const UPLOAD_IDLE_MS = 60_000;

interface Upload {
  parts: string[];
  chars: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Texts sent in parts (uploads.append) until a request names them by id
 * (firewall.importConfig, gateway.apply): see shared/contract/uploads.ts.
 */
export class UploadStore implements Disposable {
  private readonly uploads = new Map<string, Upload>();

  constructor(private readonly idleMs = UPLOAD_IDLE_MS) {}

  append(id: string | undefined, text: string): { id: string; chars: number } {
    let upload: Upload | undefined;
    if (id === undefined) {
      if (this.uploads.size >= MAX_OPEN_UPLOADS) throw new NetopsError(ErrorCodes.limit, `${MAX_OPEN_UPLOADS} uploads are in progress already; finish or wait for one (they expire ${this.idleMs / 1000} s after their last part)`);
      id = `u${randomBytes(16).toString('base64url').slice(0, 22)}`;
    } else {
      upload = this.uploads.get(id);
      if (!upload) throw unknown(id);
    }
    const chars = (upload?.chars ?? 0) + text.length;
    if (chars > MAX_UPLOAD_CHARS) {
      this.drop(id);
      throw new NetopsError(ErrorCodes.limit, `upload ${id} would be ${chars} characters; an upload takes at most ${MAX_UPLOAD_CHARS} (it is dropped)`);
    }
    const key = id;
    const timer = setTimeout(() => this.drop(key), this.idleMs);
    timer.unref?.();
    if (upload) {
      clearTimeout(upload.timer);
      upload.parts.push(text);
      upload.chars = chars;
      upload.timer = timer;
    } else {
      this.uploads.set(id, { parts: [text], chars, timer });
    }
    return { id, chars };
  }

  /** The text of an upload, which is then gone: an upload is used once. */
  take(id: string): string {
    const upload = this.uploads.get(id);
    if (!upload) throw unknown(id);
    this.drop(id);
    return upload.parts.join('');
  }

  get size(): number {
    return this.uploads.size;
  }

  private drop(id: string): void {
    const upload = this.uploads.get(id);
    if (!upload) return;
    clearTimeout(upload.timer);
    this.uploads.delete(id);
  }

  dispose(): void {
    for (const id of [...this.uploads.keys()]) this.drop(id);
  }
}

function unknown(id: string): NetopsError {
  return new NetopsError(ErrorCodes.notFound, `no upload ${id}: it was used already, or expired ${UPLOAD_IDLE_MS / 1000} s after its last part`);
}
