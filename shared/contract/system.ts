import { z } from 'zod';
import { empty } from './common.ts';
import { request, stream } from './define.ts';

export const listenerStatus = z.object({
  name: z.string(),
  protocol: z.enum(['tcp', 'udp']),
  handler: z.string(),
  host: z.string(),
  port: z.number().int(),
  state: z.enum(['starting', 'listening', 'stopped', 'failed']),
  error: z.string().optional(),
  /** Open connections (TCP); 0 for UDP. */
  connections: z.number().int(),
  /** Connections or datagrams the firewall turned away at this listener. */
  refused: z.number().int(),
  /** Datagrams received and admitted (UDP); 0 for TCP. */
  datagrams: z.number().int(),
});

export type ListenerStatus = z.infer<typeof listenerStatus>;

export const systemInfo = z.object({
  product: z.string(),
  version: z.string(),
  instanceId: z.string(),
  startedAt: z.number(),
  platform: z.string(),
  mode: z.enum(['headless', 'desktop']),
  dataDir: z.string(),
  configFile: z.string().nullable(),
});

export type SystemInfo = z.infer<typeof systemInfo>;

export const overview = z.object({
  at: z.number(),
  connections: z.object({
    open: z.number().int(),
    openedTotal: z.number().int(),
    closedTotal: z.number().int(),
    openedPerSecond: z.number(),
    closedPerSecond: z.number(),
    bytesInPerSecond: z.number(),
    bytesOutPerSecond: z.number(),
    byKind: z.record(z.string(), z.number().int()),
  }),
  listeners: z.array(listenerStatus),
  host: z.object({
    uptimeMs: z.number(),
    rssBytes: z.number(),
    heapUsedBytes: z.number(),
    cpuPercent: z.number(),
  }),
  rpc: z.object({
    clients: z.number().int(),
    rejectedMessages: z.number().int(),
  }),
});

export type Overview = z.infer<typeof overview>;

export const systemService = {
  info: request({ params: empty, result: systemInfo }),
  overview: stream({ params: empty, event: overview, coalesce: 'latest' }),
};
