import { z } from 'zod';

/** Bumped on any incompatible change of the frames below. */
export const PROTOCOL_VERSION = 1;

const id = z.number().int().min(1).max(2 ** 31 - 1);
const name = z.string().min(1).max(128);
/** Longer messages (zod can list thousands of unknown keys) are cut, or the peer would drop the frame and its call never settle. */
export const MAX_ERROR_MESSAGE_CHARS = 4096;
const errorPayload = z.object({ code: z.string().max(64), message: z.string().max(MAX_ERROR_MESSAGE_CHARS) });

export function boundErrorPayload(payload: { code: string; message: string }): { code: string; message: string } {
  if (payload.message.length <= MAX_ERROR_MESSAGE_CHARS) return payload;
  return { code: payload.code, message: `${payload.message.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…` };
}

/** Optional: JSON.stringify leaves out params that are undefined, and the server reads absent params as {}. */
const params = z.unknown().optional();

export const clientFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), protocol: z.number().int(), client: z.string().max(64).optional() }).strict(),
  z.object({ t: z.literal('req'), id, method: name, params }).strict(),
  z.object({ t: z.literal('cancel'), id }).strict(),
  z.object({ t: z.literal('sub'), id, stream: name, params }).strict(),
  z.object({ t: z.literal('unsub'), id }).strict(),
]);

export const serverFrame = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('welcome'),
    protocol: z.number().int(),
    server: z.object({ product: z.string(), version: z.string(), instanceId: z.string() }),
  }),
  z.object({ t: z.literal('res'), id, result: z.unknown() }),
  z.object({ t: z.literal('err'), id: id.nullable(), error: errorPayload }),
  z.object({ t: z.literal('ev'), id, data: z.unknown() }),
  z.object({ t: z.literal('end'), id, error: errorPayload.optional() }),
]);

export type ClientFrame = z.infer<typeof clientFrame>;
export type ServerFrame = z.infer<typeof serverFrame>;

/**
 * Lists every zod issue as `path: message`, so a rejected message says
 * exactly what was wrong with it.
 */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 8)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
