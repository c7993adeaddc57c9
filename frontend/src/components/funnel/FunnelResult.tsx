import { useQuery } from '@tanstack/react-query';
import { RefreshButton } from '../RefreshButton';
import { funnel as fetchFunnel, type AnalyticsQuery } from '../../api';
import { PanelState } from '../PanelState';
import { FunnelChart } from './FunnelChart';
import { funnelReadiness, MAX_STEPS, windowLabel, type FunnelDefinition } from './funnelSteps';

function Hint({ funnel }: { funnel: FunnelDefinition }) {
  const readiness = funnelReadiness(funnel.steps);
  let text = 'Add at least two steps (an event name or a page path each) and choose “Show funnel”.';
  if (!readiness.ready && readiness.reason === 'too-many') {
    text = `A funnel has at most ${MAX_STEPS} steps: remove some and choose “Show funnel”.`;
  } else if (!readiness.ready && readiness.reason === 'invalid') {
    text = `Step ${readiness.index + 1} cannot be used: ${readiness.message}`;
  }
  return (
    <p className="panel-placeholder muted" data-testid="funnel-hint">
      {text}
    </p>
  );
}

/**
 * The funnel in the URL, asked of the API with the view's common parameters once it has 2–10 valid steps;
 * until then a hint says what is missing. An API error (a step it refuses, a timeout) is shown as it says.
 */
export function FunnelResult({ funnel, query }: { funnel: FunnelDefinition; query: AnalyticsQuery }) {
  const ready = funnelReadiness(funnel.steps).ready;
  const params = { ...query, steps: funnel.steps, window: funnel.window };
  const result = useQuery({
    queryKey: ['funnel', params],
    queryFn: ({ signal }) => fetchFunnel(params, signal),
    enabled: ready,
  });
  const steps = result.data?.steps ?? [];
  const windowText = windowLabel(funnel.window);

  return (
    <section className="panel glass chart-panel" aria-labelledby="funnel-result-title" data-testid="funnel-result">
      <div className="panel-head">
        <h2 id="funnel-result-title">Conversion</h2>
        {ready && (
          <span className="panel-status">
            <span className="muted small">Window: {windowText}</span>
            <RefreshButton onClick={() => void result.refetch()} fetching={result.isFetching} testId="funnel-refresh" />
          </span>
        )}
      </div>
      {ready ? (
        <PanelState
          testId="funnel"
          pending={result.isPending}
          error={result.isError ? result.error : null}
          empty={steps.every((s) => s.visitors === 0)}
          onRetry={() => void result.refetch()}
        >
          <FunnelChart steps={steps} windowText={windowText} />
        </PanelState>
      ) : (
        <Hint funnel={funnel} />
      )}
    </section>
  );
}
