import type { ApiError, Overview } from '../api';
import { StatCard } from './StatCard';

interface OverviewPanelProps {
  data: Overview | null;
  error: ApiError | null;
  loading: boolean;
  updatedAt: number | null;
  onRetry: () => void;
}

const METRICS = [
  { key: 'events', label: 'Events', testId: 'events-count' },
  { key: 'visitors', label: 'Visitors', testId: 'visitors-count' },
  { key: 'sessions', label: 'Sessions', testId: 'sessions-count' },
  { key: 'pageviews', label: 'Pageviews', testId: 'pageviews-count' },
] as const;

export function OverviewPanel({ data, error, loading, updatedAt, onRetry }: OverviewPanelProps) {
  return (
    <section className="panel" aria-labelledby="overview-title">
      <div className="panel-head">
        <div>
          <h2 id="overview-title">Overview</h2>
          <p className="muted">Last 7 days, all sites · refreshes every 5 s</p>
        </div>
        <div className="panel-status" aria-live="polite">
          {loading && <span className="spinner" aria-label="Refreshing" />}
          {updatedAt !== null && (
            <span className="muted small" data-testid="overview-updated">
              Updated {new Date(updatedAt).toLocaleTimeString()}
            </span>
          )}
          <button type="button" className="button ghost small" onClick={onRetry} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>

      {error && (
        <div className="banner error" role="alert" data-testid="overview-error">
          <span>
            {data ? 'Could not refresh the overview: ' : 'Could not load the overview: '}
            {error.message}
          </span>
          <button type="button" className="button ghost small" onClick={onRetry}>
            Retry
          </button>
        </div>
      )}

      {!(error && !data) && (
        <div className="stat-grid" aria-busy={data === null}>
          {METRICS.map((metric) => (
            <StatCard
              key={metric.key}
              label={metric.label}
              value={data ? data[metric.key] : null}
              previous={data ? (data.previous?.[metric.key] ?? 0) : null}
              testId={metric.testId}
            />
          ))}
        </div>
      )}
    </section>
  );
}
