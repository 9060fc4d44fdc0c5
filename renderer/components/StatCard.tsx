import type { ReactNode } from 'react';

/**
 * One figure of a screen's summary row: label, value, and what the value
 * counts. `hint` is the card's tooltip, the figure's full meaning where the
 * detail line is short.
 */
export function StatCard({
  label,
  value,
  detail,
  tone,
  testId,
  hint,
}: {
  label: string;
  value: ReactNode;
  detail: ReactNode;
  tone?: 'warning' | undefined;
  testId?: string;
  hint?: string;
}) {
  return (
    <div className={`stat-card${tone ? ` stat-${tone}` : ''}`} data-testid={testId} title={hint}>
      <div className="stat-label">{label}</div>
      <div className="stat-value numeric">{value}</div>
      <div className="stat-detail">{detail}</div>
    </div>
  );
}
