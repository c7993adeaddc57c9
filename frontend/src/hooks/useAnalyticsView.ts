import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { AnalyticsQuery } from '../api';
import { formatFilter, parseView, rangeDates, writeView, type Filter, type RangeId, type View } from '../lib/view';

/**
 * The admin view's state, read from and written to the URL's query string (react-router's useSearchParams),
 * and the common analytics query parameters it stands for.
 */
export function useAnalyticsView() {
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const view = useMemo(() => parseView(new URLSearchParams(search)), [search]);

  const update = useCallback(
    (change: (view: View) => View) => {
      setParams((current) => writeView(change(parseView(current)), current));
    },
    [setParams],
  );

  const setRange = useCallback((range: RangeId) => update((v) => ({ ...v, range })), [update]);

  const addFilter = useCallback(
    (filter: Filter) =>
      update((v) =>
        v.filters.some((f) => formatFilter(f) === formatFilter(filter)) ? v : { ...v, filters: [...v.filters, filter] },
      ),
    [update],
  );

  const removeFilter = useCallback(
    (filter: Filter) =>
      update((v) => ({ ...v, filters: v.filters.filter((f) => formatFilter(f) !== formatFilter(filter)) })),
    [update],
  );

  const clearFilters = useCallback(() => update((v) => ({ ...v, filters: [] })), [update]);

  // The dates follow the day the view is looked at; recomputed when the view changes.
  const query = useMemo<AnalyticsQuery>(() => {
    const { from, to } = rangeDates(view.range);
    const q: AnalyticsQuery = { from, to };
    if (view.site) q.site = view.site;
    if (view.filters.length) q.filter = view.filters.map(formatFilter);
    return q;
  }, [view]);

  return { view, query, setRange, addFilter, removeFilter, clearFilters };
}
