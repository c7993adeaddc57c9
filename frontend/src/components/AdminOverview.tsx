import { useMemo } from 'react';
import { useAnalyticsView } from '../hooks/useAnalyticsView';
import { useOverview } from '../hooks/useOverview';
import { rangeLabel } from '../lib/view';
import { AnalyticsPanels } from './AnalyticsPanels';
import { ExportButton } from './export/ExportButton';
import { OverviewPanel } from './OverviewPanel';
import { TrackerPlayground } from './TrackerPlayground';
import { ViewToolbar } from './ViewToolbar';

/**
 * The admin panel's home: date range and filters (kept in the URL), the overview cards, the time-series chart,
 * the breakdowns, and the tracker playground.
 */
export function AdminOverview({ isAdmin = false }: { isAdmin?: boolean }) {
  const { view, query, addFilter } = useAnalyticsView();
  const overviewQuery = useMemo(() => (view.compare === 'previous' ? query : { ...query, compare: view.compare }), [query, view.compare]);
  const overview = useOverview(overviewQuery);
  const range = rangeLabel(view);
  const zone = view.tz ?? 'UTC';
  const scope = view.site ? `site ${view.site}` : 'all sites';
  const filtered = view.filters.length ? `, ${view.filters.length} filter${view.filters.length > 1 ? 's' : ''}` : '';

  return (
    <main className="dashboard">
      <ViewToolbar title="Overview" showCompare />
      <OverviewPanel
        data={overview.data}
        error={overview.error}
        loading={overview.loading}
        updatedAt={overview.updatedAt}
        onRetry={overview.refresh}
        description={`${range} (${zone}), ${scope}${filtered}`}
        compareLabel={view.compare === 'year' ? 'vs a year before' : 'vs previous period'}
      />
      <AnalyticsPanels view={view} query={query} overviewQuery={overviewQuery} onFilter={addFilter} />
      {isAdmin && (
        <section className="panel glass export-panel" aria-labelledby="export-title">
          <h2 id="export-title">Export the raw events of this view</h2>
          <ExportButton query={query} />
        </section>
      )}
      <TrackerPlayground onAccepted={overview.burst} />
    </main>
  );
}
