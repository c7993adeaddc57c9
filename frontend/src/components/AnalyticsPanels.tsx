import { useQuery, useQueryClient } from '@tanstack/react-query';
import { timeseries, type AnalyticsQuery } from '../api';
import type { Filter, View } from '../lib/view';
import { BreakdownCard, PropertyBreakdownCard, type BreakdownCardSpec } from './BreakdownPanel';
import { PanelState } from './PanelState';
import { TimeseriesChart } from './TimeseriesChart';

export const BREAKDOWN_CARDS: readonly BreakdownCardSpec[] = [
  {
    param: 'pages',
    title: 'Pages',
    tabs: [
      { dimension: 'path', title: 'Top pages' },
      { dimension: 'entry_page', title: 'Entry pages' },
      { dimension: 'exit_page', title: 'Exit pages' },
    ],
  },
  {
    param: 'sources',
    title: 'Sources',
    tabs: [
      { dimension: 'referrer', title: 'Referrers', emptyLabel: 'Direct / none' },
      { dimension: 'utm_source', title: 'UTM source', emptyLabel: '(none)' },
      { dimension: 'utm_medium', title: 'Medium', emptyLabel: '(none)' },
      { dimension: 'utm_campaign', title: 'Campaign', emptyLabel: '(none)' },
      { dimension: 'utm_term', title: 'Term', emptyLabel: '(none)' },
      { dimension: 'utm_content', title: 'Content', emptyLabel: '(none)' },
    ],
  },
  {
    param: 'devices',
    title: 'Devices',
    tabs: [
      { dimension: 'browser', title: 'Browsers', emptyLabel: 'Unknown' },
      { dimension: 'os', title: 'OS', emptyLabel: 'Unknown' },
      { dimension: 'device', title: 'Devices', emptyLabel: 'Unknown' },
    ],
  },
  { param: 'countries', title: 'Countries', tabs: [{ dimension: 'country', title: 'Countries', emptyLabel: 'Unknown' }] },
  { param: 'events', title: 'Events', tabs: [{ dimension: 'event', title: 'Events' }] },
];

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
        {BREAKDOWN_CARDS.map((spec) => (
          <BreakdownCard key={spec.param} spec={spec} query={query} onFilter={onFilter} />
        ))}
        <PropertyBreakdownCard query={query} onFilter={onFilter} />
      </div>
    </>
  );
}
