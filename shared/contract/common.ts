import { z } from 'zod';

export const empty = z.object({}).strict();
export const ok = z.object({ ok: z.literal(true) });

export const hostName = z.string().min(1).max(253);
export const port = z.number().int().min(0).max(65535);
