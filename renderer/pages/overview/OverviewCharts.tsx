import { memo, type ReactNode } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type TooltipContentProps,
} from 'recharts';
import { ChartTooltip, formatByteRate, formatBytes, formatClock, formatCount, formatRate } from '../../components/index.ts';
import { OVERVIEW_HISTORY_LIMIT, useAppStore, type OverviewPoint } from '../../store/index.ts';
import { niceTicks } from './chart-scale.ts';

export const CHART_HEIGHT = 168;

interface SeriesDef {
  key: keyof OverviewPoint;
  label: string;
  /** A CSS custom property, so the series follows the theme without re-rendering. */
  color: string;
}

const OPEN_SERIES: readonly SeriesDef[] = [{ key: 'open', label: 'Open', color: 'var(--chart-1)' }];
const RATE_SERIES: readonly SeriesDef[] = [
  { key: 'openedPerSecond', label: 'Opened/s', color: 'var(--chart-2)' },
  { key: 'closedPerSecond', label: 'Closed/s', color: 'var(--chart-3)' },
];
const THROUGHPUT_SERIES: readonly SeriesDef[] = [
  { key: 'bytesInPerSecond', label: 'In', color: 'var(--chart-1)' },
  { key: 'bytesOutPerSecond', label: 'Out', color: 'var(--chart-4)' },
];

/**
 * The only part of the app that reads the rolling history. It is memoized and
 * takes no props, so a new overview frame re-renders the charts and nothing
 * above them.
 */
export const OverviewCharts = memo(function OverviewCharts() {
  const history = useAppStore((state) => state.overview.history);
  const openTicks = niceTicks(maxOf(history, OPEN_SERIES), { integer: true });
  const rateTicks = niceTicks(maxOf(history, RATE_SERIES));
  const throughputTicks = niceTicks(maxOf(history, THROUGHPUT_SERIES), { base: 'binary' });
  return (
    <section className="chart-grid" aria-label={`Trends over the last ${Math.round(OVERVIEW_HISTORY_LIMIT / 60)} minutes`}>
      <ChartPanel title="Open connections" series={OPEN_SERIES}>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          <AreaChart data={history as OverviewPoint[]} margin={CHART_MARGIN}>
            {grid}
            {timeAxis}
            <YAxis {...Y_AXIS_PROPS} ticks={openTicks} domain={[0, openTicks.at(-1) ?? 1]} tickFormatter={formatCount} />
            <Tooltip content={countTooltip} isAnimationActive={false} />
            <Area
              type="monotone"
              dataKey="open"
              name="Open"
              stroke="var(--chart-1)"
              fill="var(--chart-1)"
              fillOpacity={0.12}
              strokeWidth={1.5}
              isAnimationActive={false}
            />
          </AreaChart>
        </ResponsiveContainer>
      </ChartPanel>
      <ChartPanel title="Connection rate" series={RATE_SERIES}>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          <LineChart data={history as OverviewPoint[]} margin={CHART_MARGIN}>
            {grid}
            {timeAxis}
            <YAxis {...Y_AXIS_PROPS} ticks={rateTicks} domain={[0, rateTicks.at(-1) ?? 1]} tickFormatter={formatAxisRate} />
            <Tooltip content={rateTooltip} isAnimationActive={false} />
            {RATE_SERIES.map((s) => (
              <Line key={s.key} type="monotone" dataKey={s.key} name={s.label} stroke={s.color} strokeWidth={1.5} dot={false} isAnimationActive={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </ChartPanel>
      <ChartPanel title="Throughput" series={THROUGHPUT_SERIES}>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          <AreaChart data={history as OverviewPoint[]} margin={CHART_MARGIN}>
            {grid}
            {timeAxis}
            <YAxis {...Y_AXIS_PROPS} width={64} ticks={throughputTicks} domain={[0, throughputTicks.at(-1) ?? 1]} tickFormatter={formatAxisBytes} />
            <Tooltip content={byteRateTooltip} isAnimationActive={false} />
            {THROUGHPUT_SERIES.map((s) => (
              <Area
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                fill={s.color}
                fillOpacity={0.12}
                strokeWidth={1.5}
                isAnimationActive={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      </ChartPanel>
    </section>
  );
});

export const CHART_MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };

export const Y_AXIS_PROPS = {
  width: 44,
  tickLine: false,
  axisLine: false,
  tick: { className: 'chart-tick' },
  interval: 0,
} as const;

export const grid = <CartesianGrid stroke="var(--chart-grid)" vertical={false} />;

function maxOf(history: readonly OverviewPoint[], series: readonly SeriesDef[]): number {
  let max = 0;
  for (const point of history) for (const s of series) max = Math.max(max, point[s.key]);
  return max;
}

export const timeAxis = (
  <XAxis
    dataKey="at"
    type="number"
    scale="time"
    domain={['dataMin', 'dataMax']}
    tickFormatter={formatClock}
    tick={{ className: 'chart-tick' }}
    tickLine={false}
    axisLine={false}
    minTickGap={48}
  />
);

/** Ticks sit on steps such as 0.25, which the one-decimal rate format would round to 0.3. */
export function formatAxisRate(value: number): string {
  return value >= 100 ? formatCount(value) : String(Number(value.toFixed(2)));
}

/** Axis labels sit on round binary values, so `64 KiB` reads better than `64.0 KiB`. */
function formatAxisBytes(value: number): string {
  return formatBytes(value).replace(/\.0+ /, ' ');
}

export function ChartPanel({ title, series, children }: { title: string; series: readonly { key: string; label: string; color: string }[]; children: ReactNode }) {
  return (
    <div className="panel chart-panel">
      <header className="panel-header">
        <h2>{title}</h2>
        <ul className="chart-legend">
          {series.map((s) => (
            <li key={s.key}>
              <svg width="10" height="10" aria-hidden="true">
                <rect width="10" height="3" y="3.5" rx="1.5" fill={s.color} />
              </svg>
              {s.label}
            </li>
          ))}
        </ul>
      </header>
      <div className="chart-body">{children}</div>
    </div>
  );
}

const countTooltip = (props: TooltipContentProps) => <ChartTooltip {...props} format={formatCount} />;
const rateTooltip = (props: TooltipContentProps) => <ChartTooltip {...props} format={formatRate} />;
const byteRateTooltip = (props: TooltipContentProps) => <ChartTooltip {...props} format={formatByteRate} />;

