import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import { ApiError, overview, type AnalyticsQuery, type Overview } from '../api';

export interface OverviewState {
  data: Overview | null;
  error: ApiError | null;
  /** A request is on its way. */
  loading: boolean;
  /** When `data` last came in (epoch ms). */
  updatedAt: number | null;
}

/** Delays (ms) of the extra refreshes after an event was accepted: the pipeline is asynchronous. */
export const BURST_DELAYS = [500, 1000, 2000, 3000, 5000, 8000, 12000];

/** The keys of the panels an accepted event can change (everything but the live view, which polls anyway). */
const PANELS = new Set(['overview', 'timeseries', 'breakdown']);

/**
 * GET /api/analytics/overview through the admin panel's query cache: loaded when the view changes, refreshed on
 * window focus or on demand (never on a timer), and a few times in quick succession after `burst()` (called
 * when an event was just accepted) so that it shows up.
 */
export function useOverview(query: AnalyticsQuery = {}) {
  const client = useQueryClient();
  const result = useQuery({
    queryKey: ['overview', query],
    queryFn: ({ signal }) => overview(query, signal),
  });
  const burstTimers = useRef<ReturnType<typeof setTimeout>[]>([]);

  useEffect(() => {
    const timers = burstTimers.current;
    return () => {
      timers.forEach(clearTimeout);
      timers.length = 0;
    };
  }, []);

  const { refetch } = result;
  const refresh = useCallback(() => void refetch(), [refetch]);

  const burst = useCallback(() => {
    burstTimers.current.forEach(clearTimeout);
    burstTimers.current.length = 0;
    for (const delay of BURST_DELAYS) {
      burstTimers.current.push(
        setTimeout(() => void client.invalidateQueries({ predicate: (q) => PANELS.has(String(q.queryKey[0])) }), delay),
      );
    }
  }, [client]);

  const error = result.error ? (result.error instanceof ApiError ? result.error : new ApiError(0, 'unknown_error', 'Could not load the overview.')) : null;
  const state: OverviewState = {
    data: result.data ?? null,
    error,
    loading: result.isFetching,
    updatedAt: result.dataUpdatedAt || null,
  };
  return { ...state, refresh, burst };
}
