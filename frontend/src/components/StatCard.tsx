import { formatCount, percentChange } from '../lib/format';

interface StatCardProps {
  label: string;
  value: number | null;
  previous: number | null;
  testId?: string;
}

export function StatCard({ label, value, previous, testId }: StatCardProps) {
  const change = value !== null && previous !== null ? percentChange(value, previous) : null;
  return (
    <div className="stat-card glass">
      <span className="stat-label">{label}</span>
      {value === null ? (
        <span className="skeleton skeleton-number" aria-label="Loading" />
      ) : (
        <span className="stat-value" data-testid={testId} data-value={value}>
          {formatCount(value)}
        </span>
      )}
      {change && previous !== null && (
        <span
          className={`stat-change trend-${change.trend}`}
          title={`Previous period: ${formatCount(previous)}`}
          data-testid={testId ? `${testId}-change` : undefined}
        >
          {change.label} <span className="muted">vs previous period</span>
        </span>
      )}
    </div>
  );
}
