// The script-tag tracker: what dist/t.js runs (see ./t.ts), in ≤ 2 KB gzipped.
//
//   <script defer src="https://HOST/t.js" data-site="shop"></script>
//
// Page views (first load, SPA navigation by path or hash route, back-forward cache), outbound-link and
// file-download clicks, `data-track` clicks, `pulse.track()` / `pulse.identify()` (also queued before the
// script loaded), an opt-out (localStorage `pulse_optout=1`) that stops all sending, batching with retry and
// backoff, an offline queue in localStorage (bounded, sent by the next page, the same event_id each time),
// `text/plain` bodies (no CORS preflight) with fetch keepalive, sendBeacon on page hide.
//
// Cookieless (`data-cookieless`): nothing is kept in the browser but the opt-out; events go without
// anonymous_id and session_id to `?cookieless=1`, and the collector derives a daily visitor id.

import { EVENT_NAME, OPT_OUT_KEY, cleanUrl, clicked, pageKey, uuid, watchNavigation } from './core';

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

/** Any of Pulse's methods, called with what a page passed (at most two arguments). */
export type Method = (a?: unknown, b?: unknown) => void;

export interface PulseEvent {
  event: string;
  site: string;
  event_id: string;
  timestamp: string;
  anonymous_id?: string;
  user_id?: string;
  session_id?: string;
  url: string;
  referrer?: string;
  title?: string;
  properties?: PulseProps;
}

// localStorage keys.
export const ANONYMOUS_ID_KEY = 'pulse_aid';
export const SESSION_KEY = 'pulse_sid';
export const USER_ID_KEY = 'pulse_uid';
export const QUEUE_KEY = 'pulse_queue';

/** Longest wait of an event in the queue. */
export const FLUSH_MS = 5000;
/** A batch leaves as soon as it holds this many events. */
export const BATCH = 10;
/** Events kept for later when the network or the collector fails (the oldest go first). */
export const OFFLINE_MAX = 200;
/** Longest wait between two retries. */
export const MAX_RETRY_MS = 60000;
/** A session ends after this long without an event. */
export const SESSION_MS = 30 * 60 * 1000;

export function createPulse(
  site: string,
  api: string,
  queued?: Iterable<ArrayLike<unknown>>,
  cookieless?: boolean,
): Pulse {
  const memory: Record<string, string | null> = {};
  // Cookieless, only the opt-out is kept in localStorage.
  const kept = (key: string) => !cookieless || key == OPT_OUT_KEY;
  if (cookieless) api += (api.includes('?') ? '&' : '?') + 'cookieless=1';
  // localStorage, or memory where it is blocked (privacy settings, sandboxed frames).
  const get = (key: string): string | null => {
    try {
      if (kept(key)) return localStorage.getItem(key);
    } catch {
      // blocked: memory
    }
    return memory[key] ?? null;
  };
  const set = (key: string, value: string | null) => {
    try {
      if (kept(key)) return value === null ? localStorage.removeItem(key) : localStorage.setItem(key, value);
    } catch {
      // blocked: memory
    }
    memory[key] = value;
  };
  const optedOut = () => get(OPT_OUT_KEY) == '1';
  const stored = (): PulseEvent[] => {
    try {
      return (JSON.parse(get(QUEUE_KEY)!) as PulseEvent[] | null) ?? [];
    } catch {
      return [];
    }
  };
  // Into the offline queue (after what it holds, the oldest dropped past its bound), sent again in `ms`.
  const keep = (events: PulseEvent[], ms = FLUSH_MS) => {
    events = stored().concat(events).slice(-OFFLINE_MAX);
    set(QUEUE_KEY, events.length ? JSON.stringify(events) : null);
    schedule(ms);
  };
  // Everything waiting: the offline queue first, then this page's queue; nothing once opted out (also when
  // that happened in another tab).
  const take = () => {
    const events = stored().concat(queue);
    set(QUEUE_KEY, null);
    queue = [];
    clearTimeout(timer);
    timer = undefined;
    return optedOut() ? [] : events;
  };
  const batches = (events: PulseEvent[], send: (body: string, events: PulseEvent[]) => unknown) => {
    while (events.length) {
      const part = events.splice(0, 20);
      send(JSON.stringify({ events: part }), part);
    }
  };

  let queue: PulseEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = 0;
  let lastPage = '';

  const schedule = (ms: number) => {
    timer ||= setTimeout(flush, ms);
  };

  // A string body goes out as text/plain: no CORS preflight. keepalive lets it outlive the page, but
  // browsers refuse keepalive bodies over 64 KiB.
  const post = (body: string, events: PulseEvent[]) => {
    const fail = () => keep(events, (retryMs = Math.min(retryMs * 2 || FLUSH_MS, MAX_RETRY_MS)));
    fetch(api, { method: 'POST', body, keepalive: body.length < 2e4 }).then(({ status }) => {
      // 2xx, or refused for good (other 4xx): sending it again would not help.
      if (status > 499 || status == 429 || status == 408) fail();
      else retryMs = 0;
    }, fail);
    return 1;
  };

  const flush = () => batches(take(), post);

  // The page may be going away: sendBeacon (else fetch keepalive); what the browser refuses, or everything
  // while offline, stays in the offline queue for the next page.
  const hide = () => {
    if (navigator.onLine === false) keep(take());
    else batches(take(), (body, events) => (navigator.sendBeacon?.(api, body) ?? post(body, events)) || keep(events));
  };

  const session = (now: number): string => {
    const [id, last] = (get(SESSION_KEY) ?? '').split(' ');
    const current = id && now - +last <= SESSION_MS ? id : uuid();
    set(SESSION_KEY, current + ' ' + now);
    return current;
  };

  const track = (event: string, props?: PulseProps) => {
    if (optedOut() || !EVENT_NAME.test(event)) return;
    const now = Date.now();
    let anonymousId = get(ANONYMOUS_ID_KEY);
    if (!anonymousId && !cookieless) set(ANONYMOUS_ID_KEY, (anonymousId = uuid()));
    queue.push({
      event,
      site,
      event_id: uuid(),
      timestamp: new Date(now).toISOString(),
      anonymous_id: anonymousId || undefined,
      user_id: get(USER_ID_KEY) || undefined,
      session_id: cookieless ? undefined : session(now),
      url: cleanUrl(location.href),
      referrer: cleanUrl(document.referrer) || undefined,
      title: document.title || undefined,
      properties: props,
    });
    if (queue.length >= BATCH) flush();
    else schedule(FLUSH_MS);
  };

  // One page view per page (see pageKey), and one more for each return from the back-forward cache.
  const pageview = (again?: boolean) => {
    const page = pageKey(location.href);
    if (again || page != lastPage) track('pageview');
    lastPage = page;
  };

  const click = (event: MouseEvent) => {
    for (const made of clicked(event)) if (made) track(...made);
  };

  // A pushState comes before the app sets the new page's title: look a moment later.
  watchNavigation((restored) => setTimeout(pageview, 0, restored));
  addEventListener('click', click, true);
  addEventListener('auxclick', click, true);
  addEventListener('pagehide', hide);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState == 'hidden') hide();
  });
  addEventListener('online', flush);
  if (stored().length) schedule(FLUSH_MS); // left over from an earlier page

  const pulse: Pulse = {
    track,
    identify: (userId) => set(USER_ID_KEY, userId || null),
    optOut: () => {
      set(OPT_OUT_KEY, '1');
      take();
    },
    optIn: () => set(OPT_OUT_KEY, null),
    flush,
  };
  // Calls made before the script loaded (`pulse('track', 'signup')` on the stub), before the first page
  // view: an identify or an opt-out applies to it.
  for (const call of queued ?? []) (pulse[call[0] as keyof Pulse] as Method | undefined)?.(call[1], call[2]);
  pageview();
  return pulse;
}
