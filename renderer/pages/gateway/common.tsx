import { useCallback } from 'react';
import type { TrafficFigures } from '../../../shared/contract/index.ts';
import { formatCount, formatRate, useSession } from '../../components/index.ts';
import { namesSelector } from '../../store/index.ts';

/** The gateway proxy of the current connection; throws NETOPS_DISCONNECTED while there is none. */
export function useGatewayApi() {
  const session = useSession();
  return useCallback(() => session.api.gateway, [session]);
}

/** `enabled`, `disabled`, or `off` for an item the operator switched off; errors in the tooltip and the row. */
export function ItemStatusBadge({ status, errors, switchedOff = false }: { status: 'enabled' | 'disabled'; errors: readonly string[]; switchedOff?: boolean }) {
  const label = switchedOff ? 'off' : status;
  const tone = status === 'enabled' ? 'ok' : switchedOff && errors.length === 0 ? 'neutral' : 'danger';
  return (
    <span className={`pill pill-${tone}`} data-status={label} title={errors.length > 0 ? errors.join('\n') : undefined}>
      {label}
    </span>
  );
}

/** `12 ms`, `0.4 ms`, `1.25 s`; a dash when there were no requests to measure. */
export function formatLatency(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** 0..1 as a percentage: `0%`, `0.4%`, `12%`. */
export function formatErrorRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '0%';
  const percent = rate * 100;
  return percent < 10 ? `${Number(percent.toFixed(1))}%` : `${Math.round(percent)}%`;
}

export function errorRateTone(rate: number): string | undefined {
  if (rate >= 0.05) return 'tone-danger';
  if (rate > 0) return 'tone-warning';
  return undefined;
}

/** rps, error rate and p99 of an item, as the tables show them side by side. */
export function TrafficCells({ traffic }: { traffic: TrafficFigures }) {
  return (
    <>
      <td className="align-end numeric" title={`${formatCount(traffic.requests)} requests since start`}>
        {formatRate(traffic.rps)}
      </td>
      <td className={`align-end numeric ${errorRateTone(traffic.errorRate) ?? ''}`}>{formatErrorRate(traffic.errorRate)}</td>
      <td className="align-end numeric">{formatLatency(traffic.p99Ms)}</td>
    </>
  );
}

export const selectServiceNames = namesSelector((state) => state.gateway.status?.services);
export const selectMiddlewareNames = namesSelector((state) => state.gateway.status?.middlewares);
export const selectHttpEntryPointNames = namesSelector((state) => state.gateway.status?.entryPoints.filter((ep) => ep.protocol === 'http'));
