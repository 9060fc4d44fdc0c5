import { memo, type ReactNode } from 'react';
import { Line, LineChart, ResponsiveContainer, Tooltip, YAxis, type TooltipContentProps } from 'recharts';
import { ChartTooltip, formatCount, formatRate } from '../../components/index.ts';
import { maxOfRows, selectTrafficCharts, useAppStore, type TrafficChartRow, type TrafficSeries } from '../../store/index.ts';
import { niceTicks } from './chart-scale.ts';
import { CHART_HEIGHT, CHART_MARGIN, ChartPanel, formatAxisRate, grid, timeAxis, Y_AXIS_PROPS } from './OverviewCharts.tsx';

/** The total first, then the busiest services; the same colour for a service on all three charts. */
const SERIES_COLORS = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)', 'var(--chart-5)'];

function legend(series: readonly TrafficSeries[]) {
  return series.map((s, i) => ({ key: s.key, label: s.label, color: SERIES_COLORS[i % SERIES_COLORS.length]! }));
}

/**
 * Requests per second, error rate and p99 latency of the gateway, in total
 * and per service, from the traffic stream. Like the connection charts it
 * takes no props, so a traffic frame re-renders these and nothing else.
 */
export const GatewayCharts = memo(function GatewayCharts() {
  const charts = useAppStore(selectTrafficCharts);
  const series = legend(charts.series);
  return (
    <section className="chart-grid" aria-label="Gateway traffic over the last five minutes" data-testid="gateway-charts">
      <TrafficChart title="Gateway requests" rows={charts.rps} series={series} max={maxOfRows(charts.rps, charts.series)} tooltip={rateTooltip} axis={formatAxisRate} testId="gw-chart-rps" />
      <TrafficChart
        title="Gateway error rate"
        rows={charts.errorRate}
        series={series}
        max={Math.max(1, maxOfRows(charts.errorRate, charts.series))}
        tooltip={percentTooltip}
        axis={formatAxisPercent}
        testId="gw-chart-errors"
      />
      <TrafficChart title="Gateway p99 latency" rows={charts.p99Ms} series={series} max={maxOfRows(charts.p99Ms, charts.series)} tooltip={msTooltip} axis={formatAxisMs} testId="gw-chart-p99" />
    </section>
  );
});

function TrafficChart({
  title,
  rows,
  series,
  max,
  tooltip,
  axis,
  testId,
}: {
  title: string;
  rows: readonly TrafficChartRow[];
  series: readonly { key: string; label: string; color: string }[];
  max: number;
  tooltip(props: TooltipContentProps): ReactNode;
  axis(value: number): string;
  testId: string;
}) {
  const ticks = niceTicks(max);
  return (
    <div data-testid={testId} data-points={rows.length}>
      <ChartPanel title={title} series={series}>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          <LineChart data={rows as TrafficChartRow[]} margin={CHART_MARGIN}>
            {grid}
            {timeAxis}
            <YAxis {...Y_AXIS_PROPS} width={52} ticks={ticks} domain={[0, ticks.at(-1) ?? 1]} tickFormatter={axis} />
            <Tooltip content={tooltip} isAnimationActive={false} />
            {series.map((s, i) => (
              <Line
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                strokeWidth={i === 0 ? 2 : 1.25}
                strokeDasharray={i === 0 ? undefined : '4 2'}
                dot={false}
                connectNulls={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </ChartPanel>
    </div>
  );
}

function formatPercentValue(value: number): string {
  return value < 10 ? `${Number(value.toFixed(2))}%` : `${Math.round(value)}%`;
}

function formatAxisPercent(value: number): string {
  return `${Number(value.toFixed(2))}%`;
}

function formatMs(value: number): string {
  return value < 10 ? `${Number(value.toFixed(2))} ms` : `${formatCount(value)} ms`;
}

function formatAxisMs(value: number): string {
  return value >= 1000 ? `${Number((value / 1000).toFixed(2))} s` : `${Number(value.toFixed(2))} ms`;
}

const rateTooltip = (props: TooltipContentProps) => <ChartTooltip {...props} format={formatRate} />;
const percentTooltip = (props: TooltipContentProps) => <ChartTooltip {...props} format={formatPercentValue} />;
const msTooltip = (props: TooltipContentProps) => <ChartTooltip {...props} format={formatMs} />;
