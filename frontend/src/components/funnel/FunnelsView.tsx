import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { useAnalyticsView } from '../../hooks/useAnalyticsView';
import { ViewToolbar } from '../ViewToolbar';
import { FunnelBuilder } from './FunnelBuilder';
import { FunnelResult } from './FunnelResult';
import { readFunnel, writeFunnel, type FunnelDefinition } from './funnelSteps';
import { useSuggestions } from './useSuggestions';

/**
 * `/admin/funnels`: the shared view controls, a funnel builder and the funnel's conversion. The steps and the
 * window live in the URL (`steps=...&window=...`) next to the view's own parameters, so a funnel can be shared.
 */
export function FunnelsView() {
  const { query } = useAnalyticsView();
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const funnel = useMemo(() => readFunnel(new URLSearchParams(search)), [search]);
  const events = useSuggestions('event', query);
  const paths = useSuggestions('path', query);

  const apply = useCallback(
    (next: FunnelDefinition) => setParams((current) => writeFunnel(next, current)),
    [setParams],
  );

  return (
    <main className="dashboard">
      <ViewToolbar title="Funnels" />
      <FunnelBuilder funnel={funnel} eventSuggestions={events.values} pathSuggestions={paths.values} onApply={apply} />
      <FunnelResult funnel={funnel} query={query} />
    </main>
  );
}
