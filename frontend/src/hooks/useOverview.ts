import { useCallback, useEffect, useRef, useState } from 'react';
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

/**
 * Loads GET /api/analytics/overview, refreshes it every `intervalMs`, and a few times in quick succession
 * after `burst()` (called when an event was just accepted).
 */
export function useOverview(query: AnalyticsQuery = {}, intervalMs = 5000) {
  const [state, setState] = useState<OverviewState>({ data: null, error: null, loading: true, updatedAt: null });
  const queryKey = JSON.stringify(query);
  const inFlight = useRef<AbortController | null>(null);
  const burstTimers = useRef<ReturnType<typeof setTimeout>[]>([]);
  const mounted = useRef(true);

  const load = useCallback(
    async (force = false) => {
      if (inFlight.current && !force) return; // one request at a time; the next tick tries again
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      setState((s) => (s.loading ? s : { ...s, loading: true }));
      try {
        const data = await overview(JSON.parse(queryKey) as AnalyticsQuery, controller.signal);
        if (controller.signal.aborted || !mounted.current) return;
        setState({ data, error: null, loading: false, updatedAt: Date.now() });
      } catch (error) {
        if (controller.signal.aborted || !mounted.current) return;
        const apiError =
          error instanceof ApiError ? error : new ApiError(0, 'unknown_error', 'Could not load the overview.');
        setState((s) => ({ ...s, error: apiError, loading: false }));
      } finally {
        if (inFlight.current === controller) inFlight.current = null;
      }
    },
    [queryKey],
  );

  useEffect(() => {
    mounted.current = true;
    const first = setTimeout(() => void load(true), 0);
    const timer = setInterval(() => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return;
      void load();
    }, intervalMs);
    const timers = burstTimers.current;
    return () => {
      mounted.current = false;
      clearTimeout(first);
      clearInterval(timer);
      timers.forEach(clearTimeout);
      timers.length = 0;
      inFlight.current?.abort();
      inFlight.current = null;
    };
  }, [load, intervalMs]);

  const refresh = useCallback(() => void load(true), [load]);

  const burst = useCallback(() => {
    burstTimers.current.forEach(clearTimeout);
    burstTimers.current.length = 0;
    for (const delay of BURST_DELAYS) burstTimers.current.push(setTimeout(() => void load(true), delay));
  }, [load]);

  return { ...state, refresh, burst };
}
