import { useQuery } from '@tanstack/react-query';
import { breakdown, type AnalyticsQuery } from '../../api';

/** How many values a suggestion list offers (the breakdown's top values by visitors). */
export const SUGGESTION_LIMIT = 50;

/**
 * The most common values of a dimension (`event`, `path`) in the view's range and site, to suggest as funnel
 * steps or retention events. The view's filters are left out: they narrow visitors, not the names that exist.
 * A failure only means no suggestions; typing a name still works.
 */
export function useSuggestions(dimension: 'event' | 'path', query: AnalyticsQuery): { values: string[]; error: Error | null } {
  const { filter: _filter, ...scope } = query;
  const params = { ...scope, dimension, limit: SUGGESTION_LIMIT };
  const result = useQuery({
    queryKey: ['breakdown', params],
    queryFn: ({ signal }) => breakdown(params, signal),
  });
  const values = (result.data?.rows ?? []).map((row) => row.value).filter((value) => value !== '');
  return { values, error: result.isError ? result.error : null };
}
