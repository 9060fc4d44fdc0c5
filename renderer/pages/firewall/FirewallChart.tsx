import { memo, useMemo } from 'react';
import { Area, AreaChart, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { ChartTooltip, formatCount, useNow } from '../../components/index.ts';
import { COUNTER_HISTORY_SECONDS, counterSeries, useAppStore } from '../../store/index.ts';

const SERIES = [
  { key: 'allowed', label: 'Allowed/s', color: 'var(--ok)' },
  { key: 'denied', label: 'Denied/s', color: 'var(--danger)' },
] as const;

/** Small on purpose: a trend next to the counters, not a dashboard. Redraws once a second. */
export const FirewallChart = memo(function FirewallChart() {
  const history = useAppStore((state) => state.firewall.counters);
  const now = useNow();
  const data = useMemo(() => counterSeries(history, now), [history, now]);
  const peak = data.reduce((max, point) => Math.max(max, point.allowed, point.denied), 0);
  const latest = data.at(-2) ?? data.at(-1);
  // The whole window always spans the width: a page opened a few seconds ago draws its few seconds at the right, not stretched into a trend.
  const end = data.at(-1)?.at ?? now;
  const domain: [number, number] = [end - (COUNTER_HISTORY_SECONDS - 1) * 1000, end];
  return (
    <div className="panel fw-chart" data-testid="decisions-chart">
      <header className="fw-chart-header">
        <span className="stat-label">
          Last {COUNTER_HISTORY_SECONDS / 60} min
          {/* No axis in a chart this small: its height is the peak, said here. */}
          <span className="muted numeric" data-testid="decisions-chart-peak">
            {' '}
            · peak {formatCount(peak)}/s
          </span>
        </span>
        <ul className="chart-legend">
          {SERIES.map((s) => (
            <li key={s.key}>
              <svg width="10" height="10" aria-hidden="true">
                <rect width="10" height="3" y="3.5" rx="1.5" fill={s.color} />
              </svg>
              {s.label} <span className="numeric">{latest ? formatCount(latest[s.key]) : '–'}</span>
            </li>
          ))}
        </ul>
      </header>
      <div className="fw-chart-body">
        <ResponsiveContainer width="100%" height={56}>
          <AreaChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 4 }}>
            <XAxis dataKey="at" type="number" scale="time" domain={domain} allowDataOverflow hide />
            <YAxis hide domain={[0, Math.max(1, peak)]} />
            <Tooltip content={tooltip} isAnimationActive={false} />
            {SERIES.map((s) => (
              <Area
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                fill={s.color}
                fillOpacity={0.14}
                strokeWidth={1.5}
                isAnimationActive={false}
                dot={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
});

const tooltip = (props: TooltipContentProps) => <ChartTooltip {...props} format={formatCount} />;
