// The tracker a product team embeds in its pages.
//
//   import { init, track, pageview } from './tracker';
//   init({ site: 'my-app' });          // optional: defaults to site "default", endpoint "/api/events"
//   pageview();
//   track('signup', { plan: 'pro' });
//
// It keeps an anonymous_id (random UUID in localStorage) and a session_id (sessionStorage, renewed after
// 30 minutes without activity), adds url/referrer/title, batches events for up to ~1 s or 20 events and
// POSTs `{"events":[...]}` as text/plain (no CORS preflight) with fetch keepalive. Failed batches (network,
// 408, 429, 5xx) wait in an offline queue in localStorage (at most 200 events) and are retried with backoff,
// when the browser comes back online, and from the next page load, with the same event_id. On pagehide (and
// when the tab is hidden) what is queued leaves with navigator.sendBeacon; what the browser refuses stays in
// the offline queue. Clicks on any element with `data-track="event_name"` are tracked; its `data-track-*`
// attributes become string properties (`data-track-plan-name="pro"` gives `{plan_name: "pro"}`), and so are
// outbound-link clicks (`outbound_click`) and file downloads (`file_download`), each with `{url}`. URLs lose
// their query string except `utm_*`, and their hash unless it is a hash route (`#/...`). A page coming back
// from the back-forward cache counts a page view; with `trackNavigation: true`, SPA navigation (pushState,
// replaceState, popstate, hash routes) does too. `optOut()` (localStorage `pulse_optout=1`, shared with t.js)
// stops all sending.
//
// The same pieces (./tracker/core.ts) make the script tag any site can paste, dist/t.js: see ./tracker/t.ts.

import { EVENT_NAME, OPT_OUT_KEY, cleanUrl, clicked, pageKey, trackProps, uuid as coreUuid, watchNavigation } from './tracker/core';

export type PropertyValue = string | number | boolean | null;
export type Properties = Record<string, PropertyValue>;

/** One event as the collector (`POST /api/events`) takes it. */
export interface TrackerEvent {
  event: string;
  site: string;
  event_id: string;
  timestamp: string;
  anonymous_id: string;
  user_id?: string;
  session_id: string;
  url?: string;
  referrer?: string;
  title?: string;
  properties?: Properties;
}

export interface TrackerConfig {
  /** Where events are POSTed; an absolute URL when the tracker runs on another origin. */
  endpoint: string;
  /** Which tracked site or app: 1–64 letters, digits, `_ . -`. */
  site: string;
  /** Longest time an event waits in the queue. */
  flushIntervalMs: number;
  /** A batch is sent as soon as it holds this many events. */
  maxBatchSize: number;
  /** A session ends after this long without an event. */
  sessionTimeoutMs: number;
  /** Track clicks on `[data-track]` elements. */
  autoTrackClicks: boolean;
  /** Longest wait between two retries of a failed batch (the wait doubles from `flushIntervalMs`). */
  maxRetryMs: number;
  /** Events the offline queue keeps for a later attempt; past it the oldest are dropped. */
  maxQueued: number;
  /** Track clicks on outbound links (`outbound_click`) and on file links (`file_download`). */
  autoTrackLinks: boolean;
  /**
   * Send a page view on SPA navigation (pushState, replaceState, popstate, hashchange) when the page changed:
   * its path, or its hash route (`#/...`); not its query string or an anchor. Off by default: the app sends
   * `pageview()` from its router. (A return from the back-forward cache counts whatever this says.)
   */
  trackNavigation: boolean;
  /** Report URLs and referrers without their query string (except `utm_*`) and hash (except `#/...`). */
  stripQuery: boolean;
}

export const DEFAULT_CONFIG: TrackerConfig = {
  endpoint: '/api/events',
  site: 'default',
  flushIntervalMs: 1000,
  maxBatchSize: 20,
  sessionTimeoutMs: 30 * 60 * 1000,
  autoTrackClicks: true,
  maxRetryMs: 60_000,
  maxQueued: 200,
  autoTrackLinks: true,
  trackNavigation: false,
  stripQuery: true,
};

/** Limits of the collector's event format. */
export const LIMITS = {
  eventName: EVENT_NAME,
  site: /^[A-Za-z0-9_.-]{1,64}$/,
  maxProperties: 50,
  maxPropertyString: 1024,
  maxUrl: 2048,
  maxId: 128,
  maxTitle: 1024,
} as const;

export const STORAGE_KEYS = {
  anonymousId: 'analytics.anonymous_id',
  session: 'analytics.session',
  /** The offline queue, followed by a space and the endpoint. */
  queue: 'analytics.queue',
  /** Shared with the script tag (t.js): one opt-out for both. */
  optOut: OPT_OUT_KEY,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Pure helpers

export function isValidEventName(name: unknown): name is string {
  return typeof name === 'string' && LIMITS.eventName.test(name);
}

export function isValidSite(site: unknown): site is string {
  return typeof site === 'string' && LIMITS.site.test(site);
}

function truncate(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

/**
 * Makes a flat property object the collector accepts: at most 50 keys, values string (≤ 1024 chars),
 * finite number, boolean or null. Dates become ISO strings, other objects JSON; undefined, functions
 * and symbols are left out.
 */
export function sanitizeProperties(input: Record<string, unknown> | null | undefined): Properties | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const out: Properties = {};
  let count = 0;
  for (const [key, raw] of Object.entries(input)) {
    if (count >= LIMITS.maxProperties) break;
    if (!key) continue;
    let value: PropertyValue | undefined;
    if (raw === null) value = null;
    else if (typeof raw === 'string') value = truncate(raw, LIMITS.maxPropertyString);
    else if (typeof raw === 'boolean') value = raw;
    else if (typeof raw === 'number') value = Number.isFinite(raw) ? raw : null;
    else if (typeof raw === 'bigint') value = truncate(raw.toString(), LIMITS.maxPropertyString);
    else if (raw instanceof Date) value = Number.isNaN(raw.getTime()) ? null : raw.toISOString();
    else if (typeof raw === 'object') value = truncate(safeJson(raw), LIMITS.maxPropertyString);
    if (value === undefined) continue;
    out[key] = value;
    count += 1;
  }
  return count > 0 ? out : undefined;
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export interface EventContext {
  site: string;
  anonymousId: string;
  userId?: string | null;
  sessionId: string;
  url?: string;
  referrer?: string;
  title?: string;
  now: Date;
  eventId: string;
}

/** Builds one event, or null when the name is not one the collector accepts. */
export function buildEvent(
  name: string,
  properties: Record<string, unknown> | null | undefined,
  context: EventContext,
): TrackerEvent | null {
  if (!isValidEventName(name)) return null;
  const event: TrackerEvent = {
    event: name,
    site: isValidSite(context.site) ? context.site : DEFAULT_CONFIG.site,
    event_id: context.eventId,
    timestamp: context.now.toISOString(),
    anonymous_id: truncate(context.anonymousId, LIMITS.maxId),
    session_id: truncate(context.sessionId, LIMITS.maxId),
  };
  if (context.userId) event.user_id = truncate(context.userId, LIMITS.maxId);
  if (context.url) event.url = truncate(context.url, LIMITS.maxUrl);
  if (context.referrer) event.referrer = truncate(context.referrer, LIMITS.maxUrl);
  if (context.title) event.title = truncate(context.title, LIMITS.maxTitle);
  const props = sanitizeProperties(properties);
  if (props) event.properties = props;
  return event;
}

/** The request body for a batch. */
export function buildPayload(events: readonly TrackerEvent[]): string {
  return JSON.stringify({ events });
}

/** Splits a list into chunks of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  const step = Math.max(1, Math.floor(size));
  for (let i = 0; i < items.length; i += step) out.push(items.slice(i, i + step));
  return out;
}

export interface SessionState {
  id: string;
  /** Epoch milliseconds of the last event in this session. */
  lastActivity: number;
}

/** Keeps the session while it has been active within `timeoutMs`, else starts a new one. */
export function resolveSession(
  stored: SessionState | null,
  now: number,
  timeoutMs: number,
  newId: () => string,
): SessionState {
  if (stored && now - stored.lastActivity <= timeoutMs && now >= stored.lastActivity - timeoutMs) {
    return { id: stored.id, lastActivity: Math.max(now, stored.lastActivity) };
  }
  return { id: newId(), lastActivity: now };
}

export function parseSession(raw: string | null): SessionState | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<SessionState>;
    if (typeof value.id === 'string' && value.id && typeof value.lastActivity === 'number') {
      return { id: value.id, lastActivity: value.lastActivity };
    }
  } catch {
    // corrupt: start over
  }
  return null;
}

const TRACK_ATTRIBUTE = 'data-track';
const TRACK_PROPERTY_PREFIX = 'data-track-';

/** `data-track-plan-name` -> `plan_name`. */
export function attributeToPropertyName(attribute: string): string {
  return attribute.slice(TRACK_PROPERTY_PREFIX.length).toLowerCase().replace(/-/g, '_');
}

/** Reads `data-track` and `data-track-*` off an element. */
export function parseTrackElement(element: Element): { event: string; properties: Properties } | null {
  const event = element.getAttribute(TRACK_ATTRIBUTE)?.trim();
  if (!event || !isValidEventName(event)) return null;
  const properties: Properties = trackProps(element);
  return { event, properties };
}

/** The nearest element at or above a click target that carries `data-track`. */
export function findTrackTarget(target: EventTarget | null): Element | null {
  let node = target as Node | null;
  // Text nodes and the like: start from their parent element.
  while (node && node.nodeType !== 1) node = node.parentNode;
  const element = node as Element | null;
  if (!element || typeof element.closest !== 'function') return null;
  return element.closest(`[${TRACK_ATTRIBUTE}]`);
}

/** A version 4 UUID (getRandomValues: also outside secure contexts). */
export const uuid: () => string = coreUuid;


// ---------------------------------------------------------------------------------------------------------
// Storage and the opt-out

/** localStorage, or null where it is blocked (privacy settings, sandboxed iframe). */
function safeStorage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return globalThis[kind] ?? null;
  } catch {
    return null;
  }
}

/** Reads a key; undefined when storage is blocked. */
function readStorage(storage: Storage | null, key: string): string | null | undefined {
  try {
    return storage ? storage.getItem(key) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a key (null removes it); false when storage is blocked or full. */
function writeStorage(storage: Storage | null, key: string, value: string | null): boolean {
  try {
    if (!storage) return false;
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

/** The opt-out where localStorage is blocked: for the life of the page. */
let optOutInMemory = false;

/** True once this browser opted out (here or with the script tag's `pulse.optOut()`). */
export function isOptedOut(): boolean {
  const stored = readStorage(safeStorage('localStorage'), STORAGE_KEYS.optOut);
  return stored === undefined ? optOutInMemory : stored === '1';
}

function setOptOut(on: boolean): void {
  optOutInMemory = on;
  writeStorage(safeStorage('localStorage'), STORAGE_KEYS.optOut, on ? '1' : null);
}

/** Where failed events wait for a later attempt. */
export interface QueueStore {
  load(): TrackerEvent[];
  save(events: TrackerEvent[]): void;
}

export function memoryStore(): QueueStore {
  let events: TrackerEvent[] = [];
  return {
    load: () => events.slice(),
    save: (next) => {
      events = next.slice();
    },
  };
}

/** The offline queue in localStorage, so that the next page load sends it; in memory where that is blocked. */
export function localStorageStore(key: string): QueueStore {
  const fallback = memoryStore();
  return {
    load: () => {
      const raw = readStorage(safeStorage('localStorage'), key);
      if (raw === undefined) return fallback.load();
      try {
        const events = JSON.parse(raw ?? '[]') as unknown;
        return Array.isArray(events) ? (events as TrackerEvent[]) : [];
      } catch {
        return []; // corrupt: start over
      }
    },
    save: (events) => {
      if (!writeStorage(safeStorage('localStorage'), key, events.length ? JSON.stringify(events) : null)) {
        fallback.save(events);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Batching

export interface SendResult {
  /** Events the collector accepted. */
  accepted: number;
  /** Events the collector rejected, or that were dropped after an answer that retrying can't fix. */
  rejected: number;
  /** The batch failed in a way worth retrying (network, 408, 429, 5xx). */
  retry: boolean;
}

export interface FlushResult {
  accepted: number;
  rejected: number;
  /** Events of this flush put in the offline queue for a later attempt. */
  requeued: number;
  /** Events the bounded offline queue had to drop (the oldest). */
  dropped: number;
}

export type SendBatch = (events: TrackerEvent[]) => Promise<SendResult>;

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface BatchQueueOptions {
  maxBatchSize: number;
  flushIntervalMs: number;
  /** Longest wait between two retries; the wait doubles from `flushIntervalMs` after each failure. */
  maxRetryMs: number;
  /** Events the offline queue keeps; past it the oldest are dropped. */
  maxQueued: number;
  send: SendBatch;
  scheduler?: Scheduler;
  /** The offline queue (default: memory). */
  store?: QueueStore;
  /** False while the browser is offline: nothing is tried, the events wait (default: navigator.onLine). */
  online?: () => boolean;
  /** True once the visitor opted out: what is queued is dropped, nothing is sent (default: never). */
  optedOut?: () => boolean;
}

const browserOnline = () => typeof navigator === 'undefined' || navigator.onLine !== false;
const zero = (): FlushResult => ({ accepted: 0, rejected: 0, requeued: 0, dropped: 0 });

/**
 * Holds events until `flushIntervalMs` after the first one came in, or until `maxBatchSize` are waiting,
 * then sends them. Batches that fail for a reason worth retrying go to the offline queue (`store`), are
 * retried with exponential backoff and sent before newer events, unchanged (same `event_id`: the collector
 * counts an event once however often it arrives). Nothing is tried twice at the same time: a flush takes
 * the events out of the queues before it sends them.
 */
export class BatchQueue {
  private items: TrackerEvent[] = [];
  private timer: unknown = null;
  private retryMs = 0;
  private readonly options: BatchQueueOptions;
  private readonly scheduler: Scheduler;
  private readonly store: QueueStore;

  constructor(options: BatchQueueOptions) {
    this.options = options;
    this.scheduler = options.scheduler ?? realScheduler;
    this.store = options.store ?? memoryStore();
    // Left over from an earlier page (or a failed send of another tracker).
    if (this.store.load().length > 0) this.schedule(options.flushIntervalMs);
  }

  /** Events waiting: this page's and the offline queue's. */
  get size(): number {
    return this.items.length + this.store.load().length;
  }

  add(event: TrackerEvent): void {
    this.items.push(event);
    if (this.items.length >= this.options.maxBatchSize) {
      void this.flush();
    } else {
      this.schedule(this.options.flushIntervalMs);
    }
  }

  /** Sends everything waiting now (the offline queue first), in batches of at most `maxBatchSize`. */
  async flush(): Promise<FlushResult> {
    const events = this.take();
    const result = zero();
    if (events.length === 0) return result;
    const failed: TrackerEvent[] = [];
    if ((this.options.online ?? browserOnline)()) {
      await Promise.all(
        chunk(events, this.options.maxBatchSize).map(async (batch) => {
          let sent: SendResult;
          try {
            sent = await this.options.send(batch);
          } catch {
            sent = { accepted: 0, rejected: 0, retry: true }; // the network
          }
          result.accepted += sent.accepted;
          result.rejected += sent.rejected;
          if (sent.retry) failed.push(...batch);
        }),
      );
    } else {
      failed.push(...events); // offline: no point trying; the tracker flushes again on `online`
    }
    if (failed.length === 0) {
      this.retryMs = 0;
      return result;
    }
    this.retryMs = Math.min(this.retryMs * 2 || this.options.flushIntervalMs, this.options.maxRetryMs);
    const kept = this.keep(failed, this.retryMs);
    result.requeued = kept.requeued;
    result.dropped = kept.dropped;
    return result;
  }

  /** Takes everything waiting (the offline queue first), for a send; nothing once the visitor opted out. */
  take(): TrackerEvent[] {
    this.cancelTimer();
    const events = [...this.store.load(), ...this.items];
    this.store.save([]);
    this.items = [];
    return this.options.optedOut?.() ? [] : events;
  }

  /** Takes everything waiting, for a last send that can't wait (pagehide). */
  drain(): TrackerEvent[] {
    return this.take();
  }

  /** Puts events in the offline queue (after what it holds, bounded), for another attempt in `ms`. */
  keep(events: TrackerEvent[], ms: number = this.options.flushIntervalMs): { requeued: number; dropped: number } {
    const all = [...this.store.load(), ...events];
    const kept = all.slice(-this.options.maxQueued);
    this.store.save(kept);
    this.schedule(ms);
    return { requeued: Math.min(events.length, kept.length), dropped: all.length - kept.length };
  }

  private schedule(ms: number): void {
    if (this.timer !== null) return;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    this.scheduler.clearTimeout(this.timer);
    this.timer = null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Transport

/** Reads the collector's answer: 202 `{"accepted","rejected":[...]}`, else an error status. */
export async function interpretResponse(response: Response, batchSize: number): Promise<SendResult> {
  if (response.ok) {
    try {
      const body = (await response.json()) as { accepted?: unknown; rejected?: unknown };
      const rejected = Array.isArray(body.rejected) ? body.rejected.length : 0;
      const accepted = typeof body.accepted === 'number' ? body.accepted : batchSize - rejected;
      return { accepted, rejected, retry: false };
    } catch {
      return { accepted: batchSize, rejected: 0, retry: false };
    }
  }
  if (response.status === 429 || response.status >= 500 || response.status === 408) {
    return { accepted: 0, rejected: 0, retry: true };
  }
  // 400 (no valid event), 413, 415: sending the same batch again would fail the same way.
  return { accepted: 0, rejected: batchSize, retry: false };
}

/** Browsers refuse keepalive bodies over 64 KiB (in flight, all together): larger ones go without. */
const KEEPALIVE_MAX = 60_000;

/**
 * POSTs a batch as a string body, which fetch sends as `text/plain;charset=UTF-8`: the collector takes it
 * and, on another origin, it needs no CORS preflight. keepalive lets it finish when the page goes away.
 */
export function fetchSender(endpoint: string): SendBatch {
  return async (events) => {
    const body = buildPayload(events);
    const response = await fetch(endpoint, {
      method: 'POST',
      body,
      // The limit is in bytes: a UTF-16 unit is at most 3 bytes of UTF-8.
      keepalive: body.length * 3 < KEEPALIVE_MAX,
      credentials: 'omit',
    });
    return interpretResponse(response, events.length);
  };
}

// ---------------------------------------------------------------------------------------------------------
// The tracker

let navigationWatched = false;
let navigationTarget: (() => void) | null = null;

export class Tracker {
  readonly config: TrackerConfig;
  private readonly queue: BatchQueue;
  private userId: string | null = null;
  private memoryAnonymousId: string | null = null;
  private memorySession: SessionState | null = null;
  private detach: (() => void) | null = null;
  /** The page (see pageKey) of the last page view; undefined before the first. */
  private lastPage: string | undefined;

  constructor(config: Partial<TrackerConfig> = {}, send?: SendBatch, scheduler?: Scheduler, store?: QueueStore) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    if (!isValidSite(this.config.site)) {
      console.warn(`[tracker] invalid site ${JSON.stringify(this.config.site)}, using "default"`);
      this.config.site = DEFAULT_CONFIG.site;
    }
    this.queue = new BatchQueue({
      maxBatchSize: this.config.maxBatchSize,
      flushIntervalMs: this.config.flushIntervalMs,
      maxRetryMs: this.config.maxRetryMs,
      maxQueued: this.config.maxQueued,
      send: send ?? fetchSender(this.config.endpoint),
      scheduler,
      store: store ?? localStorageStore(`${STORAGE_KEYS.queue} ${this.config.endpoint}`),
      optedOut: isOptedOut,
    });
  }

  /** Events waiting to be sent (this page's and the offline queue's). */
  get pending(): number {
    return this.queue.size;
  }

  get anonymousId(): string {
    const storage = safeStorage('localStorage');
    const stored = readStorage(storage, STORAGE_KEYS.anonymousId);
    if (stored) return stored;
    const id = this.memoryAnonymousId ?? uuid();
    this.memoryAnonymousId = id;
    writeStorage(storage, STORAGE_KEYS.anonymousId, id); // when blocked or full, the id lives as long as the page
    return id;
  }

  /** The current session id, renewed after `sessionTimeoutMs` without an event; touching it counts as activity. */
  touchSession(now: number = Date.now()): string {
    const storage = safeStorage('sessionStorage');
    const stored = parseSession(readStorage(storage, STORAGE_KEYS.session) ?? null) ?? this.memorySession;
    const session = resolveSession(stored, now, this.config.sessionTimeoutMs, uuid);
    this.memorySession = session;
    writeStorage(storage, STORAGE_KEYS.session, JSON.stringify(session));
    return session.id;
  }

  /** Ties later events of this tracker to a known user (`user_id`); null forgets it. */
  identify(userId: string | null): void {
    this.userId = userId ? truncate(userId, LIMITS.maxId) : null;
  }

  /** Stops all sending in this browser (and the script tag's too) and drops what is queued. */
  optOut(): void {
    setOptOut(true);
    this.queue.take();
  }

  optIn(): void {
    setOptOut(false);
  }

  /** Queues an event; false when the visitor opted out or its name is not one the collector accepts. */
  track(event: string, properties?: Record<string, unknown>): boolean {
    if (isOptedOut()) return false;
    const now = Date.now();
    const built = buildEvent(event, properties, {
      site: this.config.site,
      anonymousId: this.anonymousId,
      userId: this.userId,
      sessionId: this.touchSession(now),
      url: this.reportedUrl(globalThis.location?.href),
      referrer: this.reportedUrl(globalThis.document?.referrer),
      title: globalThis.document?.title || undefined,
      now: new Date(now),
      eventId: uuid(),
    });
    if (!built) {
      console.warn(`[tracker] ignored event with invalid name ${JSON.stringify(event)}`);
      return false;
    }
    this.queue.add(built);
    return true;
  }

  pageview(properties?: Record<string, unknown>): boolean {
    this.lastPage = pageKey(globalThis.location?.href ?? '');
    return this.track('pageview', properties);
  }

  /** A URL as events report it (see `stripQuery`). */
  reportedUrl(url: string | undefined): string | undefined {
    if (!url) return undefined;
    return this.config.stripQuery ? cleanUrl(url) : url;
  }

  /**
   * A page view when the page changed (its path or hash route: see pageKey), or, `restored` (back from the
   * back-forward cache), always, once the app has sent one.
   */
  navigated(restored = false): void {
    const changed = pageKey(globalThis.location?.href ?? '') !== this.lastPage;
    if (restored ? this.lastPage !== undefined : changed) this.pageview();
  }

  /** Sends what is queued now. */
  flush(): Promise<FlushResult> {
    return this.queue.flush();
  }

  /**
   * Last-chance send when the page goes away: sendBeacon (text/plain). What the browser refuses, or
   * everything while offline, stays in the offline queue for the next page; without sendBeacon, fetch with
   * keepalive.
   */
  flushWithBeacon(): void {
    const beacon = typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function';
    if (!beacon || !browserOnline()) {
      void this.queue.flush();
      return;
    }
    for (const batch of chunk(this.queue.take(), this.config.maxBatchSize)) {
      let queued: boolean;
      try {
        queued = navigator.sendBeacon(this.config.endpoint, buildPayload(batch));
      } catch {
        queued = false;
      }
      if (!queued) this.queue.keep(batch);
    }
  }

  /**
   * Listens for `[data-track]` and link clicks, the page going away, the network coming back, returns from
   * the back-forward cache and, with `trackNavigation`, SPA navigation.
   */
  start(): void {
    if (this.detach || typeof document === 'undefined') return;
    const onClick = (event: MouseEvent) => {
      const [tagged, link] = clicked(event);
      if (tagged && this.config.autoTrackClicks && isValidEventName(tagged[0])) this.track(...tagged);
      if (link && this.config.autoTrackLinks) this.track(...link);
    };
    const onPageHide = () => this.flushWithBeacon();
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') this.flushWithBeacon();
    };
    const onOnline = () => void this.flush();
    const onPageShow = (event: PageTransitionEvent) => {
      if (event.persisted) this.navigated(true);
    };
    document.addEventListener('click', onClick, { capture: true });
    document.addEventListener('auxclick', onClick, { capture: true }); // middle click: link opened in a new tab
    window.addEventListener('pagehide', onPageHide);
    window.addEventListener('pageshow', onPageShow);
    window.addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisibility);
    const onNavigate = () => this.navigated();
    if (this.config.trackNavigation) {
      if (!navigationWatched) {
        navigationWatched = true;
        // Patches history once for the page and forwards to the current tracker; a moment later, as a
        // pushState comes before the app sets the new page's title. Back-forward cache returns are
        // onPageShow's.
        watchNavigation((restored) => setTimeout(() => restored || navigationTarget?.(), 0));
      }
      navigationTarget = onNavigate;
    }
    this.detach = () => {
      if (navigationTarget === onNavigate) navigationTarget = null;
      document.removeEventListener('click', onClick, { capture: true });
      document.removeEventListener('auxclick', onClick, { capture: true });
      window.removeEventListener('pagehide', onPageHide);
      window.removeEventListener('pageshow', onPageShow);
      window.removeEventListener('online', onOnline);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }

  stop(): void {
    this.detach?.();
    this.detach = null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The page's tracker

let instance: Tracker | null = null;

/** Starts (or restarts) the page's tracker. */
export function init(config: Partial<TrackerConfig> = {}): Tracker {
  instance?.stop();
  instance = new Tracker(config);
  instance.start();
  return instance;
}

/** The page's tracker, started with the defaults if `init` was not called. */
export function getTracker(): Tracker {
  return instance ?? init();
}

export function track(event: string, properties?: Record<string, unknown>): boolean {
  return getTracker().track(event, properties);
}

export function pageview(properties?: Record<string, unknown>): boolean {
  return getTracker().pageview(properties);
}

export function flush(): Promise<FlushResult> {
  return getTracker().flush();
}

export function identify(userId: string | null): void {
  getTracker().identify(userId);
}

/** Stops all tracking in this browser, by this module and by the script tag, until `optIn()`. */
export function optOut(): void {
  setOptOut(true);
  instance?.optOut();
}

export function optIn(): void {
  setOptOut(false);
}
