import { useQuery } from '@tanstack/react-query';
import { RefreshButton } from '../RefreshButton';
import { retention, type AnalyticsQuery } from '../../api';
import { PanelState } from '../PanelState';
import { RetentionGrid } from './RetentionGrid';
import { isEmpty } from './retentionMath';
import type { RetentionSettings } from './retentionParams';

/** The retention of the URL's settings, asked of the API with the view's common parameters, as a cohort grid. */
export function RetentionResult({ settings, query }: { settings: RetentionSettings; query: AnalyticsQuery }) {
  const params = {
    ...query,
    start_event: settings.startEvent,
    return_event: settings.returnEvent,
    period: settings.period,
    periods: settings.periods,
  };
  const result = useQuery({
    queryKey: ['retention', params],
    queryFn: ({ signal }) => retention(params, signal),
  });
  const cohorts = result.data?.cohorts ?? [];

  return (
    <section className="panel glass chart-panel" aria-labelledby="retention-result-title" data-testid="retention-result">
      <div className="panel-head">
        <h2 id="retention-result-title">Retention by {settings.period}</h2>
        <RefreshButton onClick={() => void result.refetch()} fetching={result.isFetching} testId="retention-refresh" />
      </div>
      <PanelState
        testId="retention"
        pending={result.isPending}
        error={result.isError ? result.error : null}
        empty={isEmpty(cohorts)}
        onRetry={() => void result.refetch()}
      >
        <RetentionGrid
          cohorts={cohorts}
          period={settings.period}
          periods={settings.periods}
          startEvent={settings.startEvent}
          returnEvent={settings.returnEvent}
        />
      </PanelState>
    </section>
  );
}
