import { connect } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfigText } from '../../../../electron/engine/gateway/config/index.ts';
import { runDataPlane, type WorkerToControl } from '../../../../electron/engine/gateway/worker/index.ts';
import { waitFor } from '../../../helpers/console.ts';

const config = loadGatewayConfigText(
  'gateway:\n  entryPoints:\n    - { name: web, port: 0 }\n  routers:\n    - { name: all, match: { path: { prefix: / } }, service: one }\n  services:\n    - { name: one, instances: [{ url: "http://127.0.0.1:9" }] }\n',
  'gateway.yaml',
).checked;

describe('a data plane that stops', () => {
  it("reports its entry points' counts one last time, so the host can keep them when the worker leaves", async () => {
    const { port1, port2 } = new MessageChannel();
    runDataPlane(port1, 0, false);
    const received: WorkerToControl[] = [];
    // The host's side: every connection is refused by the firewall.
    port2.on('message', (message: WorkerToControl) => {
      received.push(message);
      if (message.t === 'admit') port2.postMessage({ t: 'admitted', id: message.id, allowed: false });
    });
    try {
      port2.postMessage({ t: 'apply', version: 1, config, ports: {}, shared: { rateLimits: {}, retryRings: {} } });
      const applied = await waitFor(() => received.find((message): message is Extract<WorkerToControl, { t: 'applied' }> => message.t === 'applied'), 'the apply');
      const port = applied.ports['web']!;
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve());
        });
      }
      port2.postMessage({ t: 'stop', drainMs: 0 });
      await waitFor(() => received.some((message) => message.t === 'stopped'), 'the stop');
      const last = received.filter((message): message is Extract<WorkerToControl, { t: 'report' }> => message.t === 'report').at(-1)!;
      expect((last.report as { entryPoints: Array<{ name: string; refused: number; state: string }> }).entryPoints).toEqual([
        expect.objectContaining({ name: 'web', refused: 3, state: 'stopped' }),
      ]);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
