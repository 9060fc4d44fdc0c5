import type { ReactNode } from 'react';

/** One figure of a screen's summary row: label, value, and what the value counts. */
export function StatCard({ label, value, detail, tone, testId }: { label: string; value: ReactNode; detail: ReactNode; tone?: 'warning' | undefined; testId?: string }) {
  return (
    <div className={`stat-card${tone ? ` stat-${tone}` : ''}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value numeric">{value}</div>
      <div className="stat-detail">{detail}</div>
    </div>
  );
}
