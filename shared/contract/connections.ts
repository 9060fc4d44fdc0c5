import { z } from 'zod';
import { request, stream } from './define.ts';
import { tableFrameSchema } from './table.ts';

export const connectionKind = z.enum(['tcp', 'tls', 'http', 'ws', 'udp']);
export const connectionDirection = z.enum(['in', 'out']);
export const connectionState = z.enum(['connecting', 'open', 'closing', 'closed']);

export const connectionRow = z.object({
  id: z.string(),
  kind: connectionKind,
  direction: connectionDirection,
  state: connectionState,
  localAddress: z.string(),
  localPort: z.number().int(),
  remoteAddress: z.string(),
  remotePort: z.number().int(),
  bytesIn: z.number().nonnegative(),
  bytesOut: z.number().nonnegative(),
  createdAt: z.number(),
  lastActivityAt: z.number(),
  owner: z.string(),
});

export type ConnectionRow = z.infer<typeof connectionRow>;

/** What changes on a live connection many times a second; everything else travels as a whole row. */
export const connectionCounters = connectionRow.pick({ id: true, bytesIn: true, bytesOut: true, lastActivityAt: true }).strict();
export type ConnectionCounters = z.infer<typeof connectionCounters>;
export type ConnectionKind = z.infer<typeof connectionKind>;
export type ConnectionState = z.infer<typeof connectionState>;

export const connectionFilter = z
  .object({
    text: z.string().max(200).optional(),
    kind: connectionKind.optional(),
    direction: connectionDirection.optional(),
    state: connectionState.optional(),
    owner: z.string().max(200).optional(),
  })
  .strict();

export type ConnectionFilter = z.infer<typeof connectionFilter>;

export const connectionsService = {
  list: request({
    params: z.object({ filter: connectionFilter.optional(), limit: z.number().int().min(1).max(100_000).optional() }).strict(),
    result: z.object({ rows: z.array(connectionRow), total: z.number().int() }),
  }),
  get: request({
    params: z.object({ id: z.string().max(64) }).strict(),
    result: connectionRow,
  }),
  close: request({
    params: z.object({ id: z.string().max(64) }).strict(),
    result: z.object({ id: z.string(), closed: z.boolean() }),
  }),
  live: stream({
    params: z.object({}).strict(),
    event: tableFrameSchema(connectionRow, connectionCounters),
    coalesce: 'table',
  }),
};
