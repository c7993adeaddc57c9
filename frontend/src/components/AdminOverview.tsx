import { useAnalyticsView } from '../hooks/useAnalyticsView';
import { useOverview } from '../hooks/useOverview';
import { RANGE_PRESETS } from '../lib/view';
import { AnalyticsPanels, FilterBar, RangePicker } from './AnalyticsPanels';
import { OverviewPanel } from './OverviewPanel';
import { TrackerPlayground } from './TrackerPlayground';

/**
 * The admin panel's home: date range and filters (kept in the URL), the overview cards, the time-series chart,
 * the breakdowns, and the tracker playground.
 */
export function AdminOverview() {
  const { view, query, setRange, addFilter, removeFilter, clearFilters } = useAnalyticsView();
  const overview = useOverview(query);
  const rangeLabel = RANGE_PRESETS.find((p) => p.id === view.range)?.label ?? '';
  const scope = view.site ? `site ${view.site}` : 'all sites';
  const filtered = view.filters.length ? `, ${view.filters.length} filter${view.filters.length > 1 ? 's' : ''}` : '';

  return (
    <main className="dashboard">
      <div className="page-title view-bar">
        <h1>Admin panel</h1>
        <RangePicker value={view.range} onChange={setRange} />
      </div>
      <FilterBar filters={view.filters} onRemove={removeFilter} onClear={clearFilters} />
      <OverviewPanel
        data={overview.data}
        error={overview.error}
        loading={overview.loading}
        updatedAt={overview.updatedAt}
        onRetry={overview.refresh}
        description={`${rangeLabel}, ${scope}${filtered}`}
      />
      <AnalyticsPanels view={view} query={query} onFilter={addFilter} />
      <TrackerPlayground onAccepted={overview.burst} />
    </main>
  );
}
