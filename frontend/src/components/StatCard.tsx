import { formatCount, percentChange } from '../lib/format';

interface StatCardProps {
  label: string;
  value: number | null;
  /** The compared period's value; null hides the change badge. */
  previous: number | null;
  /** How the value is shown (default: a whole count with thousands separators). */
  format?: (value: number) => string;
  testId?: string;
  /** A fall is good news (bounce rate): the badge's colour follows that, not the sign. */
  lowerIsBetter?: boolean;
  /** How the badge names the compared period (default "vs previous period"). */
  compareLabel?: string;
}

const SWAPPED: Record<string, string> = { up: 'down', down: 'up' };

export function StatCard({ label, value, previous, format = formatCount, testId, lowerIsBetter = false, compareLabel = 'vs previous period' }: StatCardProps) {
  const change = value !== null && previous !== null ? percentChange(value, previous) : null;
  const colour = change && lowerIsBetter ? (SWAPPED[change.trend] ?? change.trend) : change?.trend;
  return (
    <div className="stat-card glass">
      <span className="stat-label">{label}</span>
      {value === null ? (
        <span className="skeleton skeleton-number" role="status" aria-label="Loading" />
      ) : (
        <span className="stat-value" data-testid={testId} data-value={value}>
          {format(value)}
        </span>
      )}
      {change && previous !== null && (
        <span
          className={`stat-change trend-${colour}`}
          title={`Compared period: ${format(previous)}`}
          data-testid={testId ? `${testId}-change` : undefined}
        >
          {change.label} <span className="muted">{compareLabel}</span>
        </span>
      )}
    </div>
  );
}
