import type { Contract, ListenerStatus, Overview, SystemInfo } from '../../shared/contract/index.ts';
import { toDisposable } from '../../shared/lifecycle.ts';
import type { ServiceImpl } from '../../shared/rpc/index.ts';
import type { ConnectionTracker } from '../engine/connections/index.ts';

export interface SystemServiceDeps {
  info: SystemInfo;
  tracker: ConnectionTracker;
  listeners: () => ListenerStatus[];
  rpcStats: () => { clients: number; rejectedMessages: number };
}

/** Overview frames are for people: once a second is plenty. */
export const OVERVIEW_INTERVAL_MS = 1000;

export function createSystemService(deps: SystemServiceDeps): ServiceImpl<Contract['system']> {
  return {
    info: () => deps.info,
    overview: (_params, sink) => {
      const sampler = new OverviewSampler(deps);
      sink.emit(sampler.sample());
      const timer = setInterval(() => sink.emit(sampler.sample()), OVERVIEW_INTERVAL_MS);
      return toDisposable(() => clearInterval(timer));
    },
  };
}

/** Turns running totals into per-second rates between two samples. */
class OverviewSampler {
  private last = { at: Date.now(), opened: 0, closed: 0, bytesIn: 0, bytesOut: 0, cpu: process.cpuUsage() };

  constructor(private readonly deps: SystemServiceDeps) {
    const totals = deps.tracker.totals();
    this.last = { ...this.last, opened: totals.openedTotal, closed: totals.closedTotal, bytesIn: totals.bytesInTotal, bytesOut: totals.bytesOutTotal };
  }

  sample(): Overview {
    const now = Date.now();
    const totals = this.deps.tracker.totals();
    const cpu = process.cpuUsage();
    const seconds = Math.max((now - this.last.at) / 1000, 0.001);
    const rate = (current: number, previous: number) => (now === this.last.at ? 0 : (current - previous) / seconds);
    const cpuMicros = cpu.user + cpu.system - (this.last.cpu.user + this.last.cpu.system);
    const overview: Overview = {
      at: now,
      connections: {
        open: totals.open,
        openedTotal: totals.openedTotal,
        closedTotal: totals.closedTotal,
        openedPerSecond: rate(totals.openedTotal, this.last.opened),
        closedPerSecond: rate(totals.closedTotal, this.last.closed),
        bytesInPerSecond: rate(totals.bytesInTotal, this.last.bytesIn),
        bytesOutPerSecond: rate(totals.bytesOutTotal, this.last.bytesOut),
        byKind: totals.byKind,
      },
      listeners: this.deps.listeners(),
      host: {
        uptimeMs: now - this.deps.info.startedAt,
        rssBytes: process.memoryUsage.rss(),
        heapUsedBytes: process.memoryUsage().heapUsed,
        cpuPercent: now === this.last.at ? 0 : Math.max(0, cpuMicros / 1000 / (seconds * 1000)) * 100,
      },
      rpc: this.deps.rpcStats(),
    };
    this.last = { at: now, opened: totals.openedTotal, closed: totals.closedTotal, bytesIn: totals.bytesInTotal, bytesOut: totals.bytesOutTotal, cpu };
    return overview;
  }
}
