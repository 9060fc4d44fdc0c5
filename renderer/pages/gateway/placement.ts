import type { GatewayStatus } from '../../../shared/contract/index.ts';
import { formatCount } from '../../components/format.ts';

/**
 * Where the gateway's threads run, for the header's worker count: the count,
 * the workers' CPUs when they are pinned apart from the control plane (as
 * `cpuAffinity` does), busy polling when it is on (it shows as CPU use an
 * operator should not have to wonder about), the workers still draining
 * after the config's count went down, and every thread's CPUs in the tooltip.
 */
export function workerPlacement(
  workers: number,
  threads: GatewayStatus['threads'] | undefined,
  busyPollMicros = 0,
  draining = 0,
): { label: string; title: string | undefined } {
  const count = `${formatCount(workers)} worker${workers === 1 ? '' : 's'}`;
  /** What follows the count and the CPUs: busy polling, then the workers still draining. */
  const suffix = `${busyPollMicros > 0 ? ` · busy polling ${formatCount(busyPollMicros)} µs` : ''}${draining === 0 ? '' : ` · ${formatCount(draining)} draining`}`;
  const notes = [
    ...(draining === 0
      ? []
      : [`${formatCount(draining)} worker${draining === 1 ? '' : 's'} left when the config's count went down: accepting nothing new, answering the requests they had, then exiting`]),
    ...(busyPollMicros > 0 ? [`busy polling: a worker keeps polling ${formatCount(busyPollMicros)} µs after a read instead of sleeping (busyPollMicros)`] : []),
  ];
  if (!threads) return { label: count + suffix, title: notes.length > 0 ? notes.join('\n') : undefined };
  const title = [
    ...threads.workers.map(
      (worker) =>
        `worker ${worker.index}: ${worker.thread === null ? 'thread unknown' : `thread ${worker.thread}`}, CPUs ${worker.cpus ?? 'unknown'}, ${formatCount(worker.accepted)} connection${worker.accepted === 1 ? '' : 's'} accepted`,
    ),
    `control plane: CPUs ${threads.control ?? 'unknown'}`,
    ...notes,
  ].join('\n');
  const cpus = threads.workers.map((worker) => worker.cpus);
  const pinned = cpus.length > 0 && cpus.every((list) => list !== null && list !== threads.control);
  if (!pinned) return { label: count + suffix, title };
  const distinct = [...new Set(cpus)];
  return { label: `${count} · CPU${distinct.length === 1 && !/[,-]/.test(distinct[0]!) ? '' : 's'} ${distinct.join(', ')}${suffix}`, title };
}
