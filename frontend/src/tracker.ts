// The tracker a product team embeds in its pages.
//
//   import { init, track, pageview } from './tracker';
//   init({ site: 'my-app' });          // optional: defaults to site "default", endpoint "/api/events"
//   pageview();
//   track('signup', { plan: 'pro' });
//
// It keeps an anonymous_id (random UUID in localStorage) and a session_id (sessionStorage, renewed after
// 30 minutes without activity), adds url/referrer/title, batches events for up to ~1 s or 20 events and
// POSTs `{"events":[...]}` as JSON (fetch with keepalive). On pagehide (and when the tab is hidden) what is
// still queued leaves with navigator.sendBeacon. Clicks on any element with `data-track="event_name"` are
// tracked; its `data-track-*` attributes become string properties (`data-track-plan-name="pro"` gives
// `{plan_name: "pro"}`), and so are outbound-link clicks (`outbound_click`) and file downloads
// (`file_download`), each with `{url}`. URLs lose their query string except `utm_*`, and their hash unless it
// is a hash route (`#/...`). With `trackNavigation: true`, SPA navigation (pushState, replaceState, popstate,
// hashchange, back-forward cache) sends page views by itself.
//
// The same pieces (./tracker/core.ts) make the script tag any site can paste, dist/t.js: see ./tracker/t.ts.

import { EVENT_NAME, cleanUrl, linkEvent, trackProps, uuid as coreUuid, watchNavigation } from './tracker/core';

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
  /** Attempts for a batch that failed on the network, a 429 or a 5xx. */
  maxAttempts: number;
  /** Track clicks on outbound links (`outbound_click`) and on file links (`file_download`). */
  autoTrackLinks: boolean;
  /** Send a page view on SPA navigation (pushState, replaceState, popstate, hashchange, bfcache restore). */
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
  maxAttempts: 3,
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

/** A version 4 UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
export const uuid: () => string = coreUuid;

// ---------------------------------------------------------------------------------------------------------
// Batching

export interface SendResult {
  /** Events the collector accepted. */
  accepted: number;
  /** Events the collector rejected, or that were dropped after an answer that retrying can't fix. */
  rejected: number;
  /** The batch failed in a way worth retrying (network, 429, 5xx). */
  retry: boolean;
}

export interface FlushResult {
  accepted: number;
  rejected: number;
  /** Events put back in the queue for a later attempt. */
  requeued: number;
  /** Events dropped after their last attempt failed. */
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

interface QueueItem {
  event: TrackerEvent;
  attempts: number;
}

export interface BatchQueueOptions {
  maxBatchSize: number;
  flushIntervalMs: number;
  maxAttempts: number;
  send: SendBatch;
  scheduler?: Scheduler;
}

/**
 * Holds events until `flushIntervalMs` after the first one came in, or until `maxBatchSize` are waiting,
 * then sends them. Batches that fail for a reason worth retrying go back to the front of the queue.
 */
export class BatchQueue {
  private items: QueueItem[] = [];
  private timer: unknown = null;
  private readonly options: BatchQueueOptions;
  private readonly scheduler: Scheduler;

  constructor(options: BatchQueueOptions) {
    this.options = options;
    this.scheduler = options.scheduler ?? realScheduler;
  }

  get size(): number {
    return this.items.length;
  }

  add(event: TrackerEvent): void {
    this.items.push({ event, attempts: 0 });
    if (this.items.length >= this.options.maxBatchSize) {
      void this.flush();
    } else {
      this.schedule(this.options.flushIntervalMs);
    }
  }

  /** Sends everything queued now, in batches of at most `maxBatchSize`. */
  async flush(): Promise<FlushResult> {
    this.cancelTimer();
    const items = this.items;
    this.items = [];
    const result: FlushResult = { accepted: 0, rejected: 0, requeued: 0, dropped: 0 };
    const retry: QueueItem[] = [];
    await Promise.all(
      chunk(items, this.options.maxBatchSize).map(async (batch) => {
        let sent: SendResult;
        try {
          sent = await this.options.send(batch.map((item) => item.event));
        } catch {
          sent = { accepted: 0, rejected: 0, retry: true };
        }
        result.accepted += sent.accepted;
        result.rejected += sent.rejected;
        if (!sent.retry) return;
        for (const item of batch) {
          const attempts = item.attempts + 1;
          if (attempts < this.options.maxAttempts) retry.push({ event: item.event, attempts });
          else result.dropped += 1;
        }
      }),
    );
    if (retry.length > 0) {
      result.requeued = retry.length;
      this.items = [...retry, ...this.items];
      const attempts = Math.max(...retry.map((item) => item.attempts));
      this.schedule(this.options.flushIntervalMs * 2 ** attempts);
    } else if (this.items.length > 0) {
      this.schedule(this.options.flushIntervalMs);
    }
    return result;
  }

  /** Takes everything queued, for a last send that can't wait (pagehide). */
  drain(): TrackerEvent[] {
    this.cancelTimer();
    const events = this.items.map((item) => item.event);
    this.items = [];
    return events;
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

export function fetchSender(endpoint: string): SendBatch {
  return async (events) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: buildPayload(events),
      keepalive: true,
      credentials: 'omit',
    });
    return interpretResponse(response, events.length);
  };
}

// ---------------------------------------------------------------------------------------------------------
// The tracker

let navigationWatched = false;
let navigationTarget: ((restored: boolean) => void) | null = null;

/** The nearest `<a href>` at or above a click target. */
function findLink(target: EventTarget | null): HTMLAnchorElement | null {
  let node = target as Node | null;
  while (node && node.nodeType !== 1) node = node.parentNode;
  const element = node as Element | null;
  return element && typeof element.closest === 'function' ? element.closest<HTMLAnchorElement>('a[href]') : null;
}

function safeStorage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    const storage = globalThis[kind];
    return storage ?? null;
  } catch {
    return null; // blocked (privacy settings, sandboxed iframe)
  }
}

export class Tracker {
  readonly config: TrackerConfig;
  private readonly queue: BatchQueue;
  private userId: string | null = null;
  private memoryAnonymousId: string | null = null;
  private memorySession: SessionState | null = null;
  private detach: (() => void) | null = null;
  private lastPageUrl: string | undefined;

  constructor(config: Partial<TrackerConfig> = {}, send?: SendBatch, scheduler?: Scheduler) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    if (!isValidSite(this.config.site)) {
      console.warn(`[tracker] invalid site ${JSON.stringify(this.config.site)}, using "default"`);
      this.config.site = DEFAULT_CONFIG.site;
    }
    this.queue = new BatchQueue({
      maxBatchSize: this.config.maxBatchSize,
      flushIntervalMs: this.config.flushIntervalMs,
      maxAttempts: this.config.maxAttempts,
      send: send ?? fetchSender(this.config.endpoint),
      scheduler,
    });
  }

  /** Events waiting to be sent. */
  get pending(): number {
    return this.queue.size;
  }

  get anonymousId(): string {
    const storage = safeStorage('localStorage');
    let stored: string | null = null;
    try {
      stored = storage?.getItem(STORAGE_KEYS.anonymousId) ?? null;
    } catch {
      // blocked: fall back to the in-memory id
    }
    if (stored) return stored;
    const id = this.memoryAnonymousId ?? uuid();
    this.memoryAnonymousId = id;
    try {
      storage?.setItem(STORAGE_KEYS.anonymousId, id);
    } catch {
      // storage full or blocked: the id lives as long as the page
    }
    return id;
  }

  /** The current session id, renewed after `sessionTimeoutMs` without an event; touching it counts as activity. */
  touchSession(now: number = Date.now()): string {
    const storage = safeStorage('sessionStorage');
    let stored: SessionState | null = this.memorySession;
    try {
      stored = parseSession(storage?.getItem(STORAGE_KEYS.session) ?? null) ?? this.memorySession;
    } catch {
      // blocked: use the in-memory copy
    }
    const session = resolveSession(stored, now, this.config.sessionTimeoutMs, uuid);
    this.memorySession = session;
    try {
      storage?.setItem(STORAGE_KEYS.session, JSON.stringify(session));
    } catch {
      // ignore
    }
    return session.id;
  }

  /** Ties later events to a known user (`user_id`); null forgets it. */
  identify(userId: string | null): void {
    this.userId = userId ? truncate(userId, LIMITS.maxId) : null;
  }

  /** Queues an event; false when its name is not one the collector accepts. */
  track(event: string, properties?: Record<string, unknown>): boolean {
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
    this.lastPageUrl = this.reportedUrl(globalThis.location?.href);
    return this.track('pageview', properties);
  }

  /** A URL as events report it (see `stripQuery`). */
  reportedUrl(url: string | undefined): string | undefined {
    if (!url) return undefined;
    return this.config.stripQuery ? cleanUrl(url) : url;
  }

  /** SPA navigation: a page view when the reported URL changed, or always when the page came back from bfcache. */
  navigated(restored: boolean): void {
    if (restored || this.reportedUrl(globalThis.location?.href) !== this.lastPageUrl) this.pageview();
  }

  /** Sends what is queued now. */
  flush(): Promise<FlushResult> {
    return this.queue.flush();
  }

  /** Last-chance send when the page goes away: sendBeacon (text/plain), else fetch with keepalive. */
  flushWithBeacon(): void {
    const events = this.queue.drain();
    for (const batch of chunk(events, this.config.maxBatchSize)) {
      const body = buildPayload(batch);
      let queued: boolean;
      try {
        queued =
          typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function'
            ? navigator.sendBeacon(this.config.endpoint, body)
            : false;
      } catch {
        queued = false;
      }
      if (!queued) {
        void fetch(this.config.endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          keepalive: true,
          credentials: 'omit',
        }).catch(() => undefined);
      }
    }
  }

  /** Listens for `[data-track]` clicks and for the page going away. */
  start(): void {
    if (this.detach || typeof document === 'undefined') return;
    const onClick = (event: MouseEvent) => {
      if (event.button > 1) return;
      const element = event.type === 'click' && this.config.autoTrackClicks ? findTrackTarget(event.target) : null;
      const parsed = element && parseTrackElement(element);
      if (parsed) this.track(parsed.event, parsed.properties);
      const link = this.config.autoTrackLinks ? findLink(event.target) : null;
      const made = link && linkEvent(link, globalThis.location?.host ?? '');
      if (made) this.track(made[0], made[1]);
    };
    const onPageHide = () => this.flushWithBeacon();
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') this.flushWithBeacon();
    };
    document.addEventListener('click', onClick, { capture: true });
    document.addEventListener('auxclick', onClick, { capture: true }); // middle click: link opened in a new tab
    window.addEventListener('pagehide', onPageHide);
    document.addEventListener('visibilitychange', onVisibility);
    const onNavigate = (restored: boolean) => this.navigated(restored);
    if (this.config.trackNavigation) {
      if (!navigationWatched) {
        navigationWatched = true;
        // Patches history once for the page and forwards to the current tracker; a moment later, as a
        // pushState comes before the app sets the new page's title.
        watchNavigation((restored) => setTimeout(() => navigationTarget?.(restored), 0));
      }
      navigationTarget = onNavigate;
    }
    this.detach = () => {
      if (navigationTarget === onNavigate) navigationTarget = null;
      document.removeEventListener('click', onClick, { capture: true });
      document.removeEventListener('auxclick', onClick, { capture: true });
      window.removeEventListener('pagehide', onPageHide);
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
