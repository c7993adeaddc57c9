import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { AnalyticsQuery } from '../api';
import { useToday } from './useToday';
import { formatFilter, parseView, rangeFrom, writeView, type Compare, type Filter, type PresetId, type View } from '../lib/view';

/**
 * The admin view's state, read from and written to the URL's query string (react-router's useSearchParams),
 * and the common analytics query parameters it stands for. `query` leaves `compare` out: only the overview
 * uses it, so the other panels' cache keys do not change with it.
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

  const setRange = useCallback((range: PresetId) => update((v) => ({ ...v, range, custom: null })), [update]);

  const setCustomRange = useCallback(
    (from: string, to: string) =>
      update((v) => ({ ...v, range: 'custom', custom: from <= to ? { from, to } : { from: to, to: from } })),
    [update],
  );

  const setSite = useCallback((site: string | null) => update((v) => ({ ...v, site })), [update]);
  const setTimeZone = useCallback((tz: string | null) => update((v) => ({ ...v, tz: tz === 'UTC' ? null : tz })), [update]);
  const setCompare = useCallback((compare: Compare) => update((v) => ({ ...v, compare })), [update]);

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

  // The dates follow the day the view is looked at (in its time zone), also when that day changes.
  const today = useToday(view.tz);

  const query = useMemo<AnalyticsQuery>(() => {
    const { from, to } = rangeFrom(view.range, today, view.custom);
    const q: AnalyticsQuery = { from, to };
    if (view.tz) q.tz = view.tz;
    if (view.site) q.site = view.site;
    if (view.filters.length) q.filter = view.filters.map(formatFilter);
    return q;
  }, [view, today]);

  return { view, query, setRange, setCustomRange, setSite, setTimeZone, setCompare, addFilter, removeFilter, clearFilters };
}
