import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGatewayConfigText } from '../../../../electron/engine/gateway/config/index.ts';
import { createRetryRing } from '../../../../electron/engine/gateway/balance/index.ts';
import { createBucketTable } from '../../../../electron/engine/gateway/middleware/index.ts';
import { runDataPlane, type ControlToWorker, type WorkerToControl } from '../../../../electron/engine/gateway/worker/index.ts';

/** A data plane on this thread, spoken to over a real MessageChannel as the control plane does. */
function plane() {
  const { port1, port2 } = new MessageChannel();
  runDataPlane(port1, 0, false);
  const received: WorkerToControl[] = [];
  port2.on('message', (message: WorkerToControl) => received.push(message));
  return {
    post: (message: ControlToWorker | Record<string, unknown>) => port2.postMessage(message),
    applied: async (version: number) => {
      for (let i = 0; i < 200; i++) {
        const found = received.find((message) => message.t === 'applied' && message.version === version);
        if (found) return found as Extract<WorkerToControl, { t: 'applied' }>;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`version ${version} was not applied`);
    },
    received,
    close: () => {
      port2.postMessage({ t: 'stop', drainMs: 0 });
      setTimeout(() => {
        port1.close();
        port2.close();
      }, 50);
    },
  };
}

let close: (() => void) | undefined;
afterEach(() => {
  close?.();
  close = undefined;
});

const config = loadGatewayConfigText(
  'gateway:\n  middlewares:\n    - { name: limit, type: rateLimit, ratePerSecond: 1, burst: 5 }\n  services:\n    - { name: one, instances: [{ url: "http://127.0.0.1:9" }] }\n',
  'gateway.yaml',
).checked;

describe('the shared memory a worker is handed', () => {
  it('is used when it is what it says; when it is not, the worker says so and limits on its own, never not at all', async () => {
    const worker = plane();
    close = worker.close;
    worker.post({ t: 'apply', version: 1, config, ports: {}, shared: { rateLimits: { limit: { id: 1, buffer: createBucketTable(16) } }, retryRings: { one: { id: 2, buffer: createRetryRing() } } } });
    expect((await worker.applied(1)).errors).toEqual([]);
    worker.post({ t: 'apply', version: 2, config, ports: {}, shared: { rateLimits: { limit: { id: 3, buffer: new SharedArrayBuffer(64) } }, retryRings: { one: { id: 4, buffer: new SharedArrayBuffer(64) } } } });
    expect((await worker.applied(2)).errors).toEqual([
      'service one: not a retry ring: its header does not match its size; its retry budget is per worker',
      'middleware limit: not a bucket table: its header does not match its layout; limiting per worker',
    ]);
  });

  it('must be shared memory: an apply whose table is a plain object or an ArrayBuffer is dropped, not acted on', async () => {
    const worker = plane();
    close = worker.close;
    worker.post({ t: 'apply', version: 1, config, ports: {}, shared: { rateLimits: { limit: { id: 1, buffer: {} } }, retryRings: {} } });
    worker.post({ t: 'apply', version: 2, config, ports: {}, shared: { rateLimits: { limit: { id: 1, buffer: new ArrayBuffer(64) } }, retryRings: {} } });
    worker.post({ t: 'apply', version: 3, config, ports: {} });
    worker.post({ t: 'apply', version: 4, config, ports: {}, shared: { rateLimits: {}, retryRings: {} } });
    await worker.applied(4);
    expect(worker.received.filter((message) => message.t === 'applied').map((message) => (message as { version: number }).version)).toEqual([4]);
  });
});
