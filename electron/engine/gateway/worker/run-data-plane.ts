import type { CheckedGatewayConfig } from '../../../../shared/contract/gateway-config.ts';
import { HOUSEKEEPING_MS, onHousekeeping } from '../proxy/index.ts';
import { currentThreadId } from './cpu-affinity.ts';
import { GatewayDataPlane } from './data-plane.ts';
import { controlToWorker, type WorkerToControl } from './protocol.ts';
import type { PortLike } from './runner.ts';
import { WorkerHooks } from './worker-hooks.ts';

/**
 * How often a worker reports stats, pools and recent requests, and sends its
 * connections' byte counters: on the same housekeeping ticks, so the host's
 * thread is woken on one tick a second for both, not on four.
 */
export const REPORT_INTERVAL_MS = 1000;
const REPORT_EVERY_TICKS = REPORT_INTERVAL_MS / HOUSEKEEPING_MS;

/**
 * A data plane's message loop, the same in a worker thread and on the
 * host's own thread: applies generations, relays admission and tracking,
 * and reports once a second. Malformed messages are counted and dropped.
 */
export function runDataPlane(port: PortLike, workerIndex: number, reusePort: boolean): void {
  const post = (message: WorkerToControl): void => port.postMessage(message);
  const hooks = new WorkerHooks(post, REPORT_EVERY_TICKS);
  const plane = new GatewayDataPlane(hooks, { workerIndex, reusePort });
  let rejected = 0;
  let stopped = false;
  const reporter = onHousekeeping(() => post({ t: 'report', report: { ...plane.report(), rejectedMessages: rejected } }), REPORT_EVERY_TICKS);
  // Applies run one at a time, in order: a later config never lands under an earlier one.
  let applying: Promise<void> = Promise.resolve();
  port.on('message', (raw: unknown) => {
    const parsed = controlToWorker.safeParse(raw);
    if (!parsed.success || stopped) {
      rejected++;
      return;
    }
    const message = parsed.data;
    if (hooks.receive(message)) return;
    switch (message.t) {
      case 'apply':
        applying = applying.then(async () => {
          const result = await plane.apply(message.version, message.config as CheckedGatewayConfig, message.ports, message.shared);
          post({ t: 'applied', version: message.version, ports: result.ports, errors: result.errors });
        });
        return;
      case 'health':
        plane.setHealth(message.service, message.index, message.healthy);
        return;
      case 'inspect':
        plane.setInspect(message.on);
        return;
      case 'keys':
        plane.setKeys(message.keys);
        return;
      case 'stop':
        stopped = true;
        reporter.dispose();
        void applying
          .then(() => plane.stop(message.drainMs))
          .then(() => {
            post({ t: 'report', report: { ...plane.report(), rejectedMessages: rejected } });
            hooks.dispose();
            post({ t: 'stopped' });
          });
        return;
    }
  });
  const thread = currentThreadId();
  post(thread === undefined ? { t: 'ready' } : { t: 'ready', thread });
}
