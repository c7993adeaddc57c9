// The script-tag tracker: what dist/t.js runs (see ./t.ts), in ≤ 2 KB gzipped.
//
//   <script defer src="https://HOST/t.js" data-site="shop"></script>
//
// Page views (first load, SPA navigation, back-forward cache), outbound-link and file-download clicks,
// `data-track` clicks, `pulse.track()` / `pulse.identify()`, an opt-out, batching with retry and an offline
// queue in localStorage, `text/plain` bodies (no CORS preflight) with fetch keepalive, sendBeacon on page hide.

import { EVENT_NAME, cleanUrl, linkEvent, trackProps, uuid, watchNavigation } from './core';

export type PulseProps = Record<string, string | number | boolean | null>;

export interface Pulse {
  track(event: string, props?: PulseProps): void;
  /** Ties later events (also after reloads) to a known user; null forgets it. */
  identify(userId: string | null): void;
  /** Stops all tracking in this browser (localStorage `pulse_optout=1`) and drops what is queued. */
  optOut(): void;
  optIn(): void;
  /** Sends what is queued now. */
  flush(): void;
}

export interface PulseEvent {
  event: string;
  site: string;
  event_id: string;
  timestamp: string;
  anonymous_id: string;
  user_id?: string;
  session_id: string;
  url: string;
  referrer?: string;
  title?: string;
  properties?: PulseProps;
}

/** localStorage keys. */
export const KEYS = {
  anonymousId: 'pulse_aid',
  session: 'pulse_sid',
  userId: 'pulse_uid',
  queue: 'pulse_queue',
  optOut: 'pulse_optout',
} as const;

export const SETTINGS = {
  /** Longest wait of an event in the queue. */
  flushMs: 5000,
  /** A batch leaves as soon as it holds this many events. */
  batch: 10,
  /** Events kept for later when the network or the collector fails (the oldest go first). */
  offlineMax: 200,
  /** Longest wait between two retries. */
  maxRetryMs: 60000,
  /** A session ends after this long without an event. */
  sessionMs: 30 * 60 * 1000,
};

export function createPulse(site: string, api: string): Pulse {
  const memory: Record<string, string | null> = {};
  // localStorage, or memory where it is blocked (privacy settings, sandboxed frames).
  const get = (key: string): string | null => {
    try {
      return localStorage.getItem(key);
    } catch {
      return memory[key] ?? null;
    }
  };
  const set = (key: string, value: string | null) => {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      memory[key] = value;
    }
  };
  const stored = (): PulseEvent[] => {
    try {
      return (JSON.parse(get(KEYS.queue)!) as PulseEvent[] | null) ?? [];
    } catch {
      return [];
    }
  };
  const keep = (events: PulseEvent[]) => {
    events = stored().concat(events).slice(-SETTINGS.offlineMax);
    set(KEYS.queue, events.length ? JSON.stringify(events) : null);
  };
  // Everything waiting: the offline queue first, then this page's queue.
  const take = () => {
    const events = stored().concat(queue);
    set(KEYS.queue, null);
    queue = [];
    clearTimeout(timer);
    timer = undefined;
    return events;
  };
  const batches = (events: PulseEvent[], send: (body: string, events: PulseEvent[]) => void) => {
    while (events.length) {
      const part = events.splice(0, 20);
      send(JSON.stringify({ events: part }), part);
    }
  };

  let queue: PulseEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = 0;
  let lastUrl = '';

  const schedule = (ms: number) => {
    timer ||= setTimeout(flush, ms);
  };

  const flush = () =>
    batches(take(), (body, events) => {
      const fail = () => {
        keep(events);
        retryMs = Math.min(retryMs * 2 || SETTINGS.flushMs, SETTINGS.maxRetryMs);
        schedule(retryMs);
      };
      // A string body goes out as text/plain: no CORS preflight.
      void fetch(api, { method: 'POST', body, keepalive: true }).then(({ status }) => {
        // 2xx, or refused for good (other 4xx): sending it again would not help.
        if (status > 499 || status == 429 || status == 408) fail();
        else retryMs = 0;
      }, fail);
    });

  const hide = () => {
    if (navigator.onLine === false) keep(take());
    else batches(take(), (body, events) => navigator.sendBeacon?.(api, body) || keep(events));
  };

  const session = (now: number): string => {
    const [id, last] = (get(KEYS.session) ?? '').split(' ');
    const current = id && now - +last <= SETTINGS.sessionMs ? id : uuid();
    set(KEYS.session, current + ' ' + now);
    return current;
  };

  const track = (event: string, props?: PulseProps) => {
    if (get(KEYS.optOut) == '1' || !EVENT_NAME.test(event)) return;
    const now = Date.now();
    let anonymousId = get(KEYS.anonymousId);
    if (!anonymousId) set(KEYS.anonymousId, (anonymousId = uuid()));
    queue.push({
      event,
      site,
      event_id: uuid(),
      timestamp: new Date(now).toISOString(),
      anonymous_id: anonymousId,
      user_id: get(KEYS.userId) || undefined,
      session_id: session(now),
      url: cleanUrl(location.href),
      referrer: cleanUrl(document.referrer) || undefined,
      title: document.title || undefined,
      properties: props,
    });
    if (queue.length >= SETTINGS.batch) flush();
    else schedule(SETTINGS.flushMs);
  };

  const pageview = (again?: boolean) => {
    const url = cleanUrl(location.href);
    if (again || url != lastUrl) track('pageview');
    lastUrl = url;
  };

  const click = (event: MouseEvent) => {
    const target = event.target as Element | null;
    if (!target?.closest || event.button > 1) return;
    const tagged = target.closest('[data-track]');
    const name = tagged?.getAttribute('data-track');
    if (name && event.type == 'click') track(name, trackProps(tagged!));
    const link = target.closest('a[href]');
    const made = link && linkEvent(link as HTMLAnchorElement, location.host);
    if (made) track(...made);
  };

  // A pushState comes before the app sets the new page's title: look a moment later.
  watchNavigation((restored) => setTimeout(pageview, 0, restored));
  addEventListener('click', click, true);
  addEventListener('auxclick', click, true); // middle click: a link opened in a new tab
  addEventListener('pagehide', hide);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState == 'hidden') hide();
  });
  addEventListener('online', flush);
  if (stored().length) schedule(SETTINGS.flushMs); // left over from an earlier page
  pageview();

  return {
    track,
    identify: (userId) => set(KEYS.userId, userId || null),
    optOut: () => {
      set(KEYS.optOut, '1');
      take();
    },
    optIn: () => set(KEYS.optOut, null),
    flush,
  };
}
