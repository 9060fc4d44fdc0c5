import { z } from 'zod';

/**
 * The largest message the console takes on its WebSocket; it closes the
 * socket on a larger one. Clients refuse to send one, failing that call
 * with NETOPS_LIMIT, so the connection and the other calls on it live on.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * The longest text one request carries: a firewall config or a gateway
 * config to import (a longer one goes as an upload, see uploads.ts), a part
 * of a drop list (see blocklist-import.ts). A text this long fits one
 * message as JSON when its lines average 8 characters or more (each line
 * break is written in 2 bytes) and it is ASCII; a text that does not fit is
 * refused by the sender, saying so.
 */
export const MAX_TEXT_CHARS = 896 * 1024;
export const importText = z.string().max(MAX_TEXT_CHARS);

export const empty = z.object({}).strict();
export const ok = z.object({ ok: z.literal(true) });

export const hostName = z.string().min(1).max(253);
export const port = z.number().int().min(0).max(65535);
