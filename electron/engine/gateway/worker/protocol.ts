import { z } from 'zod';
import { MAX_LOCK_OWNER } from '../shm/index.ts';

/**
 * Messages between the control plane (the host) and a data-plane worker.
 * Both sides parse what they receive from `unknown`: a malformed message is
 * counted and dropped, never acted on.
 */

/**
 * At most this many opened sockets in one update: a worker sends what one
 * turn of its loop opened, far fewer; a bigger batch is split (see
 * WorkerHooks).
 */
export const MAX_BATCH = 4096;

const admissionRequest = z.object({
  protocol: z.enum(['tcp', 'udp']),
  source: z.string().max(64),
  listener: z.string().max(64),
  localAddress: z.string().max(64),
  port: z.number().int().min(0).max(65535),
});

const connectionOpen = z.object({
  id: z.number().int(),
  kind: z.enum(['tcp', 'http', 'ws']),
  direction: z.enum(['in', 'out']),
  owner: z.string().max(200),
  localAddress: z.string().max(64),
  localPort: z.number().int(),
  remoteAddress: z.string().max(64),
  remotePort: z.number().int(),
  connecting: z.boolean(),
});

export const workerToControl = z.discriminatedUnion('t', [
  /** `thread`: the worker's kernel thread id (Linux), so the host can pin it to a CPU. */
  z.object({ t: z.literal('ready'), thread: z.number().int().positive().optional() }),
  /** Asked at once for every accepted socket: the socket waits, paused, for the answer. */
  z.object({ t: z.literal('admit'), id: z.number().int(), request: admissionRequest }),
  z.object({
    t: z.literal('conn-update'),
    /** Sockets opened since the last update; applied before everything else in the message. */
    opened: z.array(connectionOpen).max(MAX_BATCH),
    /** Flattened [id, bytesRead, bytesWritten, ...] for sockets whose counters moved. */
    counters: z.array(z.number()),
    /** Connections that finished connecting, went half-closed, or changed kind. */
    connected: z.array(z.object({ id: z.number().int(), localAddress: z.string(), localPort: z.number().int(), remoteAddress: z.string(), remotePort: z.number().int() })),
    ended: z.array(z.number().int()),
    kinds: z.array(z.object({ id: z.number().int(), kind: z.enum(['tcp', 'http', 'ws']) })),
    closed: z.array(z.object({ id: z.number().int(), bytesRead: z.number(), bytesWritten: z.number() })),
  }),
  z.object({ t: z.literal('applied'), version: z.number().int(), ports: z.record(z.string(), z.number().int()), errors: z.array(z.string()) }),
  z.object({ t: z.literal('report'), report: z.unknown() }),
  z.object({ t: z.literal('stopped') }),
]);

export type WorkerToControl = z.infer<typeof workerToControl>;

/** A SharedArrayBuffer (shared, not copied, by postMessage) and an id that changes when the control plane makes a new one. */
const sharedMemory = z.object({ id: z.number().int().nonnegative(), buffer: z.instanceof(SharedArrayBuffer) });

export type SharedMemory = z.infer<typeof sharedMemory>;

/** How worker `workerIndex` names itself in the locks of shared memory (shm/mutex.ts): never 0, which is a free lock. */
export function workerLockOwner(workerIndex: number): number {
  return workerIndex + 1;
}

/** How the control plane names itself there, when it reads a retry ring (which may move it on to the current second). */
export const CONTROL_LOCK_OWNER = MAX_LOCK_OWNER;

export const controlToWorker = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('apply'),
    version: z.number().int(),
    /** A CheckedGatewayConfig; the worker re-checks items with the same schemas before compiling. */
    config: z.unknown(),
    /** Ports already bound by the first worker (port 0 in config), so every worker shares them. */
    ports: z.record(z.string(), z.number().int().min(0).max(65535)),
    /** State every worker updates together, by name: each rate-limit middleware's buckets, each service's retry budget. */
    shared: z.object({
      rateLimits: z.record(z.string(), sharedMemory),
      retryRings: z.record(z.string(), sharedMemory),
    }),
  }),
  z.object({ t: z.literal('admitted'), id: z.number().int(), allowed: z.boolean() }),
  z.object({ t: z.literal('close'), id: z.number().int() }),
  z.object({ t: z.literal('health'), service: z.string(), index: z.number().int(), healthy: z.boolean() }),
  z.object({ t: z.literal('inspect'), on: z.boolean() }),
  /** The active API keys' hashes (never the keys): workers check keys locally. */
  z.object({ t: z.literal('keys'), keys: z.array(z.object({ id: z.string().max(100), hash: z.string().regex(/^[0-9a-f]{64}$/) })) }),
  z.object({ t: z.literal('stop'), drainMs: z.number().int().min(0) }),
]);

export type ControlToWorker = z.infer<typeof controlToWorker>;
