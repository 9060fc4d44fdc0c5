import { z } from 'zod';
import { ErrorCodes, NetopsError } from '../errors.ts';
import { importText } from './common.ts';
import { request } from './define.ts';

/**
 * A text larger than one message (a firewall export holding a big
 * blocklist, a large gateway config) goes up in parts: uploads.append
 * gathers them on the server under an id, and the import names that id in
 * its `upload` field instead of giving `text`. An upload is used once, and
 * dropped a minute after its last part if nobody uses it.
 */
export const MAX_UPLOAD_CHARS = 16 * 1024 * 1024;
/** A part: room for JSON's escapes of any text but control characters, in one message. */
export const UPLOAD_PART_CHARS = 256 * 1024;

export const uploadId = z.string().regex(/^u[A-Za-z0-9_-]{22}$/, 'must be an id uploads.append gave');

/** A request's text: given, or named by an upload. */
export const textOrUpload = { text: importText.optional(), upload: uploadId.optional() };

export function hasTextOrUpload(params: { text?: string | undefined; upload?: string | undefined }): boolean {
  return (params.text === undefined) !== (params.upload === undefined);
}

export const TEXT_OR_UPLOAD = { message: 'give exactly one of text or upload', path: ['text'] };

export const uploadsService = {
  append: request({
    params: z.object({ id: uploadId.optional(), text: z.string().min(1).max(UPLOAD_PART_CHARS) }).strict(),
    result: z.object({ id: uploadId, chars: z.number().int().nonnegative() }),
  }),
};

/**
 * The params for a request with `text`: the text itself when it fits one
 * message, else an upload of it in parts through `append`. `onProgress`
 * hears the characters sent of all, for a progress bar.
 */
export async function textParam(
  text: string,
  append: (params: { id?: string; text: string }) => Promise<{ id: string; chars: number }>,
  onProgress?: (charsSent: number, chars: number) => void,
): Promise<{ text: string } | { upload: string }> {
  if (text.length <= UPLOAD_PART_CHARS) return { text };
  if (text.length > MAX_UPLOAD_CHARS) throw new NetopsError(ErrorCodes.limit, `the text is ${text.length} characters; an upload takes at most ${MAX_UPLOAD_CHARS}`);
  let id: string | undefined;
  for (let at = 0; at < text.length; at += UPLOAD_PART_CHARS) {
    const part = text.slice(at, at + UPLOAD_PART_CHARS);
    id = (await append(id === undefined ? { text: part } : { id, text: part })).id;
    onProgress?.(Math.min(text.length, at + UPLOAD_PART_CHARS), text.length);
  }
  return { upload: id! };
}
