import type { TooltipContentProps } from 'recharts';
import { formatClock } from './format.ts';

/** The tooltip of every time-series chart: the time, then one row per series in its own colour and unit. */
export function ChartTooltip({ active, payload, label, format }: TooltipContentProps & { format(value: number): string }) {
  if (!active || !payload || payload.length === 0) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-time">{typeof label === 'number' ? formatClock(label) : label}</div>
      {payload.map((item) => (
        <div key={String(item.dataKey)} className="chart-tooltip-row">
          <svg width="8" height="8" aria-hidden="true">
            <circle cx="4" cy="4" r="4" fill={item.stroke ?? item.color} />
          </svg>
          <span>{item.name}</span>
          <span className="numeric">{typeof item.value === 'number' ? format(item.value) : ''}</span>
        </div>
      ))}
    </div>
  );
}
