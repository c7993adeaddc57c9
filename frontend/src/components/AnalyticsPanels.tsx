import { useQuery, useQueryClient } from '@tanstack/react-query';
import { overview, timeseries, type AnalyticsQuery } from '../api';
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

/**
 * The time series of the view and, when the overview compares with another period, that period's series over
 * the same buckets. The compared bounds come from the overview's answer (the same cache entry, no extra call).
 */
function TimeseriesPanel({ query, overviewQuery }: { query: AnalyticsQuery; overviewQuery: AnalyticsQuery }) {
  const result = useQuery({
    queryKey: ['timeseries', query],
    queryFn: ({ signal }) => timeseries(query, signal),
  });
  const compared = useQuery({
    queryKey: ['overview', overviewQuery],
    queryFn: ({ signal }) => overview(overviewQuery, signal),
    enabled: overviewQuery.compare !== 'none',
  }).data?.compare;
  const interval = result.data?.interval;
  const previousQuery = compared && interval && overviewQuery.compare !== 'none' ? { ...query, from: compared.from, to: compared.to, interval } : null;
  const previous = useQuery({
    queryKey: ['timeseries', previousQuery],
    queryFn: ({ signal }) => timeseries(previousQuery ?? {}, signal),
    enabled: previousQuery !== null,
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
        {result.data && (
          <TimeseriesChart data={result.data} previous={previousQuery ? (previous.data ?? null) : null} timeZone={query.tz ?? 'UTC'} />
        )}
      </PanelState>
    </section>
  );
}

/** The chart and the breakdowns of a view; they refresh on window focus or on the Refresh button, never on a timer. */
export function AnalyticsPanels({
  view,
  query,
  overviewQuery,
  onFilter,
}: {
  view: View;
  query: AnalyticsQuery;
  /** The overview's query (with `compare`): the chart draws the compared period it answers with. */
  overviewQuery: AnalyticsQuery;
  onFilter: (f: Filter) => void;
}) {
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
      <TimeseriesPanel query={query} overviewQuery={overviewQuery} />
      <div className="breakdown-grid" data-range={view.range}>
        {BREAKDOWN_CARDS.map((spec) => (
          <BreakdownCard key={spec.param} spec={spec} query={query} onFilter={onFilter} />
        ))}
        <PropertyBreakdownCard query={query} onFilter={onFilter} />
      </div>
    </>
  );
}
