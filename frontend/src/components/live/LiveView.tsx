import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, live, type Live } from '../../api';
import { PanelState } from '../PanelState';
import { StatCard } from '../StatCard';
import { LiveFeed } from './LiveFeed';
import { LivePages } from './LivePages';
import { formatWindow } from './relativeTime';
import { SiteSelect } from './SiteSelect';
import { usePageVisible } from './usePageVisible';

/** How often the live figures are asked for. The only polling of the admin panel. */
export const LIVE_POLL_MS = 5000;

function errorMessage(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong.';
}

/**
 * `/admin/live`: who is on the tracked sites right now (GET /api/analytics/live), polled every 5 s while the
 * tab is shown and not paused. The site comes from the URL's `site` parameter.
 */
export function LiveView() {
  const [params, setParams] = useSearchParams();
  const site = params.get('site') || null;
  const [paused, setPaused] = useState(false);
  const visible = usePageVisible();
  const polling = visible && !paused;

  const result = useQuery({
    queryKey: ['live', site],
    queryFn: ({ signal }) => live(site ? { site } : {}, signal),
    refetchInterval: polling ? LIVE_POLL_MS : false,
    refetchIntervalInBackground: false,
    // Coming back to the tab is handled below, so that a paused view stays paused.
    refetchOnWindowFocus: false,
    // Live figures are old at once: coming back to this section asks again.
    staleTime: 0,
    // The next poll is the retry; an error keeps the last answer on screen meanwhile.
    retry: false,
  });
  const { refetch } = result;

  // Back from a hidden tab: refresh at once instead of on the next tick.
  useEffect(() => {
    if (paused) return;
    const onChange = () => {
      if (document.visibilityState !== 'hidden') void refetch();
    };
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, [paused, refetch]);

  const togglePause = () => {
    setPaused((p) => !p);
    if (paused && visible) void refetch();
  };

  const setSite = useCallback(
    (next: string | null) =>
      setParams((current) => {
        const search = new URLSearchParams(current);
        if (next) search.set('site', next);
        else search.delete('site');
        return search;
      }),
    [setParams],
  );

  const { data, dataUpdatedAt } = result;
  const status = paused ? 'Paused' : visible ? `Live · updates every ${LIVE_POLL_MS / 1000} s` : 'Paused while this tab is hidden';

  return (
    <main className="dashboard live-view">
      <div className="view-bar">
        <h1>Live</h1>
        <div className="live-controls">
          <SiteSelect value={site} onChange={setSite} />
          <button
            type="button"
            className={`button ghost small live-pause${paused ? ' active' : ''}`}
            aria-pressed={paused}
            data-testid="live-pause"
            onClick={togglePause}
          >
            <span aria-hidden="true">{paused ? '▶' : '❚❚'}</span> Pause updates
          </button>
        </div>
      </div>

      <div className="panel-status live-status">
        <span className={`live-dot${polling ? ' on' : ''}`} aria-hidden="true" />
        <span role="status" data-testid="live-status">
          {status}
        </span>
        {result.isFetching && <span className="spinner" role="status" aria-label="Refreshing" />}
        {dataUpdatedAt > 0 && (
          <span className="muted small" data-testid="live-updated">
            Last updated <time dateTime={new Date(dataUpdatedAt).toISOString()}>{new Date(dataUpdatedAt).toLocaleTimeString()}</time>
          </span>
        )}
      </div>

      {result.isError && data && (
        <div className="banner error" role="alert" data-testid="live-refresh-error">
          <span>
            Could not refresh the live view: {errorMessage(result.error)}
            <span className="muted"> · Showing the last figures{polling ? '; trying again in a few seconds.' : '.'}</span>
          </span>
          <button type="button" className="button ghost small" onClick={() => void refetch()}>
            Retry
          </button>
        </div>
      )}

      <PanelState
        testId="live"
        pending={result.isPending}
        error={result.isError && !data ? result.error : null}
        empty={false}
        onRetry={() => void refetch()}
      >
        {data && <LiveContent data={data} updatedAt={dataUpdatedAt} />}
      </PanelState>
    </main>
  );
}

function LiveContent({ data, updatedAt }: { data: Live; updatedAt: number }) {
  const span = formatWindow(data.window_seconds);
  if (data.visitors === 0 && data.events === 0 && data.recent.length === 0) {
    return (
      <p className="panel-placeholder muted glass" data-testid="live-empty">
        No one here in the last {span}
      </p>
    );
  }
  return (
    <>
      <div className="stat-grid live-stats">
        <StatCard label={`Visitors in the last ${span}`} value={data.visitors} previous={null} testId="live-visitors" />
        <StatCard label={`Events in the last ${span}`} value={data.events} previous={null} testId="live-events" />
      </div>
      <div className="live-grid">
        <section className="breakdown glass" aria-labelledby="live-pages-title">
          <div className="breakdown-head">
            <h2 id="live-pages-title">Top pages now</h2>
            <span className="muted small">Visitors</span>
          </div>
          <LivePages pages={data.pages} />
        </section>
        <section className="breakdown glass live-feed-panel" aria-labelledby="live-feed-title">
          <div className="breakdown-head">
            <h2 id="live-feed-title">Recent events</h2>
            <span className="muted small">Latest {Math.min(50, data.recent.length)}</span>
          </div>
          <LiveFeed events={data.recent} updatedAt={updatedAt} />
        </section>
      </div>
    </>
  );
}
