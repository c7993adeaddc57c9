import type { ApiError, Overview, OverviewMetrics } from '../api';
import { formatCount, formatDuration, formatPercent, formatRatio } from '../lib/format';
import { StatCard } from './StatCard';

interface OverviewPanelProps {
  data: Overview | null;
  error: ApiError | null;
  loading: boolean;
  updatedAt: number | null;
  onRetry: () => void;
  /** What the figures cover, e.g. "Last 7 days, all sites". */
  description?: string;
  /** How the change badges read, e.g. "vs previous period". */
  compareLabel?: string;
}

interface Metric {
  key: keyof OverviewMetrics;
  label: string;
  testId: string;
  format: (value: number) => string;
  lowerIsBetter?: boolean;
}

const METRICS: readonly Metric[] = [
  { key: 'visitors', label: 'Visitors', testId: 'visitors-count', format: formatCount },
  { key: 'visits', label: 'Visits', testId: 'visits-count', format: formatCount },
  { key: 'pageviews', label: 'Pageviews', testId: 'pageviews-count', format: formatCount },
  { key: 'events', label: 'Events', testId: 'events-count', format: formatCount },
  { key: 'views_per_visit', label: 'Views per visit', testId: 'views-per-visit', format: formatRatio },
  { key: 'bounce_rate', label: 'Bounce rate', testId: 'bounce-rate', format: formatPercent, lowerIsBetter: true },
  { key: 'visit_duration', label: 'Visit duration', testId: 'visit-duration', format: formatDuration },
];

export function OverviewPanel({
  data,
  error,
  loading,
  updatedAt,
  onRetry,
  description = 'Last 7 days, all sites',
  compareLabel = 'vs previous period',
}: OverviewPanelProps) {
  return (
    <section className="panel" aria-labelledby="overview-title">
      <div className="panel-head">
        <div>
          <h2 id="overview-title">Key figures</h2>
          <p className="muted">
            {description} · refreshes when you come back to this tab
            {data?.approximate && (
              <span data-testid="overview-approximate" title="Visitor and visit counts are estimates at this volume">
                {' '}
                · approximate
              </span>
            )}
          </p>
        </div>
        <div className="panel-status" aria-live="polite">
          {loading && <span className="spinner" role="status" aria-label="Refreshing" />}
          {updatedAt !== null && (
            <span className="muted small" data-testid="overview-updated">
              Updated {new Date(updatedAt).toLocaleTimeString()}
            </span>
          )}
          <button type="button" className="button ghost small" onClick={onRetry} disabled={loading} data-testid="overview-refresh">
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
              previous={data?.compare ? data.compare[metric.key] : null}
              format={metric.format}
              testId={metric.testId}
              lowerIsBetter={metric.lowerIsBetter}
              compareLabel={compareLabel}
            />
          ))}
        </div>
      )}
    </section>
  );
}
