import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { useAnalyticsView } from '../../hooks/useAnalyticsView';
import { useSuggestions } from '../funnel/useSuggestions';
import { ViewToolbar } from '../ViewToolbar';
import { RetentionControls } from './RetentionControls';
import { RetentionResult } from './RetentionResult';
import { readRetention, writeRetention, type RetentionSettings } from './retentionParams';

/**
 * `/admin/retention`: the shared view controls, the cohort settings and the cohort grid. The settings live in
 * the URL (`start_event`, `return_event`, `period`, `periods`) next to the view's own parameters.
 */
export function RetentionView() {
  const { query } = useAnalyticsView();
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const settings = useMemo(() => readRetention(new URLSearchParams(search)), [search]);
  const events = useSuggestions('event', query);

  const apply = useCallback(
    (next: RetentionSettings) => setParams((current) => writeRetention(next, current)),
    [setParams],
  );

  return (
    <main className="dashboard">
      <ViewToolbar title="Retention" />
      <RetentionControls settings={settings} eventSuggestions={events.values} onApply={apply} />
      <RetentionResult settings={settings} query={query} />
    </main>
  );
}
