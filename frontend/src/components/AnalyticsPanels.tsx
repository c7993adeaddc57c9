import { useQuery, useQueryClient } from '@tanstack/react-query';
import { timeseries, type AnalyticsQuery } from '../api';
import { displayValue, OP_LABELS, RANGE_PRESETS, type Filter, type RangeId, type View } from '../lib/view';
import { BreakdownPanel, type BreakdownSpec } from './BreakdownPanel';
import { PanelState } from './PanelState';
import { TimeseriesChart } from './TimeseriesChart';

export const BREAKDOWNS: readonly BreakdownSpec[] = [
  { dimension: 'path', title: 'Top pages' },
  { dimension: 'entry_page', title: 'Entry pages' },
  { dimension: 'referrer', title: 'Referrers', emptyLabel: 'Direct / none' },
  { dimension: 'browser', title: 'Browsers', emptyLabel: 'Unknown' },
  { dimension: 'device', title: 'Devices', emptyLabel: 'Unknown' },
  { dimension: 'country', title: 'Countries', emptyLabel: 'Unknown' },
  { dimension: 'event', title: 'Events' },
];

const DIMENSION_LABELS: Record<string, string> = Object.fromEntries(
  BREAKDOWNS.map((b) => [b.dimension, b.title.replace(/^Top /, '').replace(/s$/, '').toLowerCase()]),
);

export function RangePicker({ value, onChange }: { value: RangeId; onChange: (range: RangeId) => void }) {
  return (
    <div className="segmented range-picker" role="group" aria-label="Date range">
      {RANGE_PRESETS.map((preset) => (
        <button
          key={preset.id}
          type="button"
          className={`segment${preset.id === value ? ' active' : ''}`}
          aria-pressed={preset.id === value}
          data-testid={`range-${preset.id}`}
          onClick={() => onChange(preset.id)}
        >
          {preset.label}
        </button>
      ))}
    </div>
  );
}

export function FilterBar({ filters, onRemove, onClear }: { filters: Filter[]; onRemove: (f: Filter) => void; onClear: () => void }) {
  if (filters.length === 0) return null;
  return (
    <div className="filter-bar" data-testid="filter-bar" aria-label="Active filters" role="group">
      {filters.map((filter) => {
        const key = `${filter.dimension}:${filter.op}:${filter.value}`;
        const dimension = DIMENSION_LABELS[filter.dimension] ?? filter.dimension;
        const text = `${dimension} ${OP_LABELS[filter.op]} ${displayValue(filter.value) || '(none)'}`;
        return (
          <span key={key} className="filter-chip" data-testid="filter-chip">
            <span className="filter-text">{text}</span>
            <button type="button" className="filter-remove" aria-label={`Remove filter ${text}`} onClick={() => onRemove(filter)}>
              ×
            </button>
          </span>
        );
      })}
      <button type="button" className="button ghost small" onClick={onClear}>
        Clear all
      </button>
    </div>
  );
}

function TimeseriesPanel({ query }: { query: AnalyticsQuery }) {
  const result = useQuery({
    queryKey: ['timeseries', query],
    queryFn: ({ signal }) => timeseries(query, signal),
  });
  const points = result.data?.points ?? [];
  const empty = points.every((p) => p.visitors === 0 && p.pageviews === 0);
  return (
    <section className="panel glass chart-panel" aria-labelledby="timeseries-title" data-testid="timeseries">
      <h2 id="timeseries-title">Visitors and page views</h2>
      <PanelState
        testId="timeseries"
        pending={result.isPending}
        error={result.isError ? result.error : null}
        empty={empty}
        onRetry={() => void result.refetch()}
      >
        {result.data && <TimeseriesChart data={result.data} />}
      </PanelState>
    </section>
  );
}

/** The chart and the breakdowns of a view; they refresh on window focus or on the Refresh button, never on a timer. */
export function AnalyticsPanels({ view, query, onFilter }: { view: View; query: AnalyticsQuery; onFilter: (f: Filter) => void }) {
  const client = useQueryClient();
  return (
    <>
      <div className="panel-head">
        <h2 className="sr-only">Charts</h2>
        <button
          type="button"
          className="button ghost small"
          data-testid="refresh-panels"
          onClick={() =>
            void client.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'timeseries' || q.queryKey[0] === 'breakdown' })
          }
        >
          Refresh charts
        </button>
      </div>
      <TimeseriesPanel query={query} />
      <div className="breakdown-grid" data-range={view.range}>
        {BREAKDOWNS.map((spec) => (
          <BreakdownPanel key={spec.dimension} spec={spec} query={query} onFilter={onFilter} />
        ))}
      </div>
    </>
  );
}
