import { useEffect, useMemo, useState } from 'react';
import type { LiveEvent } from '../../api';
import { formatAgo } from './relativeTime';
import { usePageVisible } from './usePageVisible';

const FEED_SIZE = 50;

/** Row keys that stay the same across polls (events carry no id here); identical events are numbered. */
function rowKeys(events: LiveEvent[]): string[] {
  const seen = new Map<string, number>();
  return events.map((e) => {
    const base = JSON.stringify([e.timestamp, e.event, e.site, e.path, e.country, e.browser, e.device]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return `${base}#${n}`;
  });
}

/** The current time, ticking every second while the tab is shown, so "12 s ago" keeps counting. */
function useNow(): number {
  const visible = usePageVisible();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!visible) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [visible]);
  return now;
}

function client(e: LiveEvent): string {
  return [e.browser, e.device].filter(Boolean).join(' · ') || 'Unknown';
}

interface LiveFeedProps {
  events: LiveEvent[];
  /** When the answer arrived (ms): "ago" is never counted from before it. */
  updatedAt: number;
}

/**
 * The latest events, newest first, as text only (every field comes from the tracked sites). Events that were
 * not in the previous answer get a brief highlight.
 */
export function LiveFeed({ events, updatedAt }: LiveFeedProps) {
  const now = Math.max(useNow(), updatedAt);
  const rows = useMemo(() => events.slice(0, FEED_SIZE), [events]);
  const keys = useMemo(() => rowKeys(rows), [rows]);

  // Derived from the previous answer during render (React's pattern for state that follows a prop).
  const [seen, setSeen] = useState<{ keys: string[]; fresh: Set<string> }>({ keys, fresh: new Set() });
  if (seen.keys !== keys) {
    const before = new Set(seen.keys);
    setSeen({ keys, fresh: new Set(keys.filter((k) => !before.has(k))) });
  }

  if (rows.length === 0) {
    return (
      <p className="panel-placeholder muted" data-testid="live-feed-empty">
        No events right now
      </p>
    );
  }
  return (
    <div className="live-feed-wrap" tabIndex={0} role="region" aria-label="Recent events">
      <table className="live-feed" data-testid="live-feed">
        <caption className="sr-only">The latest {rows.length} events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Site</th>
            <th scope="col">Page</th>
            <th scope="col">Country</th>
            <th scope="col">Browser / device</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e, i) => {
            const fresh = seen.fresh.has(keys[i]);
            return (
              <tr key={keys[i]} className={fresh ? 'live-new' : undefined} data-testid="live-event" data-new={fresh || undefined}>
                <td className="live-when">
                  <time dateTime={e.timestamp}>{formatAgo(e.timestamp, now)}</time>
                </td>
                <td className="live-name">{e.event}</td>
                <td>{e.site}</td>
                <td className="live-path" title={e.title || undefined}>
                  {e.path || '–'}
                </td>
                <td>{e.country || '–'}</td>
                <td title={e.os || undefined}>{client(e)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
