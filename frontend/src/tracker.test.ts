import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BatchQueue,
  STORAGE_KEYS,
  fetchSender,
  isOptedOut,
  localStorageStore,
  memoryStore,
  optIn,
  optOut,
  Tracker,
  attributeToPropertyName,
  buildEvent,
  buildPayload,
  chunk,
  findTrackTarget,
  interpretResponse,
  isValidEventName,
  parseSession,
  parseTrackElement,
  resolveSession,
  sanitizeProperties,
  uuid,
  type EventContext,
  type Scheduler,
  type SendBatch,
  type TrackerConfig,
  type TrackerEvent,
} from './tracker';
import { OPT_OUT_KEY } from './tracker/core';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function context(overrides: Partial<EventContext> = {}): EventContext {
  return {
    site: 'default',
    anonymousId: 'anon-1',
    sessionId: 'sess-1',
    url: 'https://example.com/pricing?utm_source=x',
    referrer: 'https://google.com/',
    title: 'Pricing',
    now: new Date('2026-11-01T12:00:00.000Z'),
    eventId: '00000000-0000-4000-8000-000000000001',
    ...overrides,
  };
}

function fakeEvent(n: number): TrackerEvent {
  const built = buildEvent(`e${n}`, undefined, context({ eventId: `id-${n}` }));
  if (!built) throw new Error('unreachable');
  return built;
}

/** A scheduler driven by hand. */
function manualScheduler() {
  let next = 1;
  const timers = new Map<number, { fn: () => void; ms: number }>();
  const scheduler: Scheduler = {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as number);
    },
  };
  return {
    scheduler,
    timers,
    runAll() {
      const due = [...timers.entries()];
      timers.clear();
      for (const [, timer] of due) timer.fn();
    },
  };
}

describe('event names and properties', () => {
  it('accepts the collector’s event names only', () => {
    expect(isValidEventName('pageview')).toBe(true);
    expect(isValidEventName('Signup Completed: step/2 - v1.0')).toBe(true);
    expect(isValidEventName('')).toBe(false);
    expect(isValidEventName('a'.repeat(128))).toBe(true);
    expect(isValidEventName('a'.repeat(129))).toBe(false);
    expect(isValidEventName('bad<script>')).toBe(false);
    // Letters and digits of any script, as the collector (Rust's is_alphanumeric); not symbols.
    expect(isValidEventName('café_bestellt')).toBe(true);
    expect(isValidEventName('注文 2')).toBe(true);
    expect(isValidEventName('party 🎉')).toBe(false);
    expect(isValidEventName('é'.repeat(128))).toBe(true);
    expect(isValidEventName(42)).toBe(false);
  });

  it('keeps properties flat, typed and bounded', () => {
    const date = new Date('2026-01-02T03:04:05.000Z');
    const props = sanitizeProperties({
      s: 'x'.repeat(2000),
      n: 3.5,
      inf: Infinity,
      b: false,
      nil: null,
      undef: undefined,
      fn: () => 1,
      date,
      nested: { a: [1, 2] },
    });
    expect(props).toEqual({
      s: 'x'.repeat(1024),
      n: 3.5,
      inf: null,
      b: false,
      nil: null,
      date: '2026-01-02T03:04:05.000Z',
      nested: '{"a":[1,2]}',
    });
  });

  it('keeps at most 50 properties and drops empty objects', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(sanitizeProperties(many) ?? {})).toHaveLength(50);
    expect(sanitizeProperties({})).toBeUndefined();
    expect(sanitizeProperties(undefined)).toBeUndefined();
  });
});

describe('buildEvent / buildPayload', () => {
  it('builds the collector’s event shape', () => {
    const event = buildEvent('button_click', { button: 'send' }, context({ userId: 'alice' }));
    expect(event).toEqual({
      event: 'button_click',
      site: 'default',
      event_id: '00000000-0000-4000-8000-000000000001',
      timestamp: '2026-11-01T12:00:00.000Z',
      anonymous_id: 'anon-1',
      user_id: 'alice',
      session_id: 'sess-1',
      url: 'https://example.com/pricing?utm_source=x',
      referrer: 'https://google.com/',
      title: 'Pricing',
      properties: { button: 'send' },
    });
  });

  it('leaves out empty optional fields and falls back to site "default"', () => {
    const event = buildEvent('pageview', undefined, context({ site: 'bad site!', url: '', referrer: undefined, title: '' }));
    expect(event).not.toBeNull();
    expect(event?.site).toBe('default');
    expect(event).not.toHaveProperty('url');
    expect(event).not.toHaveProperty('referrer');
    expect(event).not.toHaveProperty('title');
    expect(event).not.toHaveProperty('properties');
    expect(event).not.toHaveProperty('user_id');
  });

  it('truncates long urls and ids', () => {
    const event = buildEvent('pageview', undefined, context({ url: `https://x.io/${'a'.repeat(3000)}`, anonymousId: 'z'.repeat(200) }));
    expect(event?.url).toHaveLength(2048);
    expect(event?.anonymous_id).toHaveLength(128);
  });

  it('refuses invalid event names', () => {
    expect(buildEvent('no<html>', undefined, context())).toBeNull();
  });

  it('wraps events as {"events": [...]}', () => {
    const events = [fakeEvent(1), fakeEvent(2)];
    expect(JSON.parse(buildPayload(events))).toEqual({ events });
  });

  it('chunks lists', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 20)).toEqual([]);
  });

  it('makes version 4 UUIDs, with or without randomUUID', () => {
    expect(uuid()).toMatch(UUID_RE);
    const original = crypto.randomUUID.bind(crypto);
    vi.spyOn(crypto, 'randomUUID').mockImplementation(() => {
      throw new Error('insecure context');
    });
    const fallback = uuid();
    expect(fallback).toMatch(UUID_RE);
    expect(fallback).not.toBe(original());
  });
});

describe('sessions', () => {
  const timeout = 30 * 60 * 1000;
  const newId = () => 'new';

  it('starts a session when there is none', () => {
    expect(resolveSession(null, 1000, timeout, newId)).toEqual({ id: 'new', lastActivity: 1000 });
  });

  it('keeps an active session and moves its last activity', () => {
    const t0 = 1_000_000;
    expect(resolveSession({ id: 's1', lastActivity: t0 }, t0 + timeout, timeout, newId)).toEqual({
      id: 's1',
      lastActivity: t0 + timeout,
    });
  });

  it('renews the session after 30 minutes idle', () => {
    const t0 = 1_000_000;
    expect(resolveSession({ id: 's1', lastActivity: t0 }, t0 + timeout + 1, timeout, newId).id).toBe('new');
  });

  it('reads stored sessions defensively', () => {
    expect(parseSession(JSON.stringify({ id: 'a', lastActivity: 5 }))).toEqual({ id: 'a', lastActivity: 5 });
    expect(parseSession('{not json')).toBeNull();
    expect(parseSession(JSON.stringify({ id: 3 }))).toBeNull();
    expect(parseSession(null)).toBeNull();
  });
});

describe('data-track parsing', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('maps data-track-* attributes to snake_case properties', () => {
    expect(attributeToPropertyName('data-track-plan-name')).toBe('plan_name');
    document.body.innerHTML =
      '<button data-track="plan_selected" data-track-plan="pro" data-track-Plan-Name="Pro Plan" data-testid="x">Pro</button>';
    const button = document.querySelector('button');
    expect(button).not.toBeNull();
    expect(parseTrackElement(button as Element)).toEqual({
      event: 'plan_selected',
      properties: { plan: 'pro', plan_name: 'Pro Plan' },
    });
  });

  it('ignores elements with an empty or invalid data-track', () => {
    document.body.innerHTML = '<a data-track="">x</a><a data-track="bad<name>">y</a>';
    for (const a of Array.from(document.querySelectorAll('a'))) expect(parseTrackElement(a)).toBeNull();
  });

  it('finds the tracked ancestor of a click target', () => {
    document.body.innerHTML =
      '<div data-track="card_open" data-track-card="a"><span><b id="inner">text</b></span></div><p id="plain">p</p>';
    const inner = document.getElementById('inner');
    expect(findTrackTarget(inner)?.getAttribute('data-track')).toBe('card_open');
    expect(findTrackTarget(inner?.firstChild ?? null)?.getAttribute('data-track')).toBe('card_open');
    expect(findTrackTarget(document.getElementById('plain'))).toBeNull();
    expect(findTrackTarget(null)).toBeNull();
  });
});

const QUEUE_OPTIONS = { maxBatchSize: 20, flushIntervalMs: 1000, maxRetryMs: 8000, maxQueued: 200, online: () => true };
const accept: SendBatch = async (events) => ({ accepted: events.length, rejected: 0, retry: false });
const fail: SendBatch = async () => ({ accepted: 0, rejected: 0, retry: true });

describe('BatchQueue', () => {
  it('sends after the flush interval', async () => {
    const { scheduler, timers, runAll } = manualScheduler();
    const send = vi.fn<SendBatch>(accept);
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, send, scheduler });
    queue.add(fakeEvent(1));
    queue.add(fakeEvent(2));
    expect(send).not.toHaveBeenCalled();
    expect(timers.size).toBe(1);
    expect([...timers.values()][0].ms).toBe(1000);
    runAll();
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0][0].map((e) => e.event)).toEqual(['e1', 'e2']);
    expect(queue.size).toBe(0);
  });

  it('sends at once when the batch is full', () => {
    const { scheduler } = manualScheduler();
    const send = vi.fn<SendBatch>(accept);
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, maxBatchSize: 3, send, scheduler });
    for (let i = 0; i < 3; i += 1) queue.add(fakeEvent(i));
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0][0]).toHaveLength(3);
  });

  it('reports the counts of a flush', async () => {
    const send = vi.fn<SendBatch>(async (events) => ({ accepted: events.length - 1, rejected: 1, retry: false }));
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, send, scheduler: manualScheduler().scheduler });
    for (let i = 0; i < 19; i += 1) queue.add(fakeEvent(i));
    const result = await queue.flush();
    expect(send).toHaveBeenCalledTimes(1);
    expect(result).toEqual({ accepted: 18, rejected: 1, requeued: 0, dropped: 0 });
  });

  it('keeps failed batches in the offline queue and retries them first, with backoff, unchanged', async () => {
    const { scheduler, timers } = manualScheduler();
    const send = vi.fn<SendBatch>(fail);
    const store = memoryStore();
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, send, scheduler, store });
    queue.add(fakeEvent(1));
    const delays: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      expect(await queue.flush()).toEqual({ accepted: 0, rejected: 0, requeued: 1, dropped: 0 });
      delays.push([...timers.values()][0].ms);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]); // doubles, up to maxRetryMs
    expect(store.load().map((e) => e.event_id)).toEqual(['id-1']);
    send.mockImplementation(accept);
    queue.add(fakeEvent(2));
    expect(await queue.flush()).toEqual({ accepted: 2, rejected: 0, requeued: 0, dropped: 0 });
    expect(send.mock.calls.at(-1)?.[0].map((e) => e.event_id)).toEqual(['id-1', 'id-2']); // the old one first
    expect(new Set(send.mock.calls.map(([batch]) => batch[0].event_id))).toEqual(new Set(['id-1']));
    expect(queue.size).toBe(0);
  });

  it('bounds the offline queue, dropping the oldest', async () => {
    const store = memoryStore();
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, maxQueued: 3, send: fail, scheduler: manualScheduler().scheduler, store });
    for (let i = 1; i <= 2; i += 1) queue.add(fakeEvent(i));
    await queue.flush();
    for (let i = 3; i <= 5; i += 1) queue.add(fakeEvent(i));
    expect(await queue.flush()).toEqual({ accepted: 0, rejected: 0, requeued: 3, dropped: 2 });
    expect(store.load().map((e) => e.event)).toEqual(['e3', 'e4', 'e5']);
  });

  it('treats a thrown send (network error) as retryable', async () => {
    const send = vi.fn<SendBatch>(async () => {
      throw new TypeError('Failed to fetch');
    });
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, send, scheduler: manualScheduler().scheduler });
    queue.add(fakeEvent(1));
    expect((await queue.flush()).requeued).toBe(1);
    expect(queue.size).toBe(1);
  });

  it('tries nothing while offline, and keeps the events', async () => {
    let online = false;
    const send = vi.fn<SendBatch>(accept);
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, online: () => online, send, scheduler: manualScheduler().scheduler });
    queue.add(fakeEvent(1));
    expect((await queue.flush()).requeued).toBe(1);
    expect(send).not.toHaveBeenCalled();
    online = true;
    expect((await queue.flush()).accepted).toBe(1);
  });

  it('sends an event once even when flushes overlap', async () => {
    const releases: (() => void)[] = [];
    const send = vi.fn<SendBatch>(async (events) => {
      await new Promise<void>((resolve) => releases.push(resolve));
      return { accepted: events.length, rejected: 0, retry: false };
    });
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, send, scheduler: manualScheduler().scheduler });
    queue.add(fakeEvent(1));
    const first = queue.flush(); // still on its way when the next flush starts
    queue.add(fakeEvent(2));
    const second = queue.flush();
    const third = queue.flush();
    for (const release of releases) release();
    expect(await Promise.all([first, second, third])).toEqual([
      { accepted: 1, rejected: 0, requeued: 0, dropped: 0 },
      { accepted: 1, rejected: 0, requeued: 0, dropped: 0 },
      { accepted: 0, rejected: 0, requeued: 0, dropped: 0 },
    ]);
    expect(send.mock.calls.map(([batch]) => batch.map((e) => e.event))).toEqual([['e1'], ['e2']]);
  });

  it('sends a stored queue left over from an earlier page', async () => {
    const store = memoryStore();
    store.save([fakeEvent(9)]);
    const { scheduler, runAll } = manualScheduler();
    const send = vi.fn<SendBatch>(accept);
    new BatchQueue({ ...QUEUE_OPTIONS, send, scheduler, store });
    runAll();
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0][0].map((e) => e.event)).toEqual(['e9']);
  });

  it('drops everything and sends nothing once opted out', async () => {
    let out = false;
    const store = memoryStore();
    store.save([fakeEvent(0)]);
    const send = vi.fn<SendBatch>(accept);
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, optedOut: () => out, send, scheduler: manualScheduler().scheduler, store });
    queue.add(fakeEvent(1));
    out = true;
    expect(await queue.flush()).toEqual({ accepted: 0, rejected: 0, requeued: 0, dropped: 0 });
    expect(send).not.toHaveBeenCalled();
    expect(queue.size).toBe(0);
  });

  it('drains synchronously for the last send', () => {
    const { scheduler, timers } = manualScheduler();
    const send = vi.fn<SendBatch>();
    const queue = new BatchQueue({ ...QUEUE_OPTIONS, send, scheduler });
    queue.add(fakeEvent(1));
    expect(queue.drain()).toHaveLength(1);
    expect(queue.size).toBe(0);
    expect(timers.size).toBe(0);
    expect(send).not.toHaveBeenCalled();
  });
});

describe('localStorageStore', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => vi.restoreAllMocks());

  it('persists the offline queue in localStorage, and removes the key when empty', () => {
    const store = localStorageStore('q');
    store.save([fakeEvent(1)]);
    expect(localStorageStore('q').load()).toEqual([fakeEvent(1)]); // another page load reads it
    store.save([]);
    expect(localStorage.getItem('q')).toBeNull();
    localStorage.setItem('q', '{corrupt');
    expect(store.load()).toEqual([]);
  });

  it('keeps the queue in memory where localStorage is blocked', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const store = localStorageStore('q');
    store.save([fakeEvent(1)]);
    expect(store.load()).toEqual([fakeEvent(1)]);
  });
});

describe('interpretResponse', () => {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

  it('reads 202 answers', async () => {
    expect(await interpretResponse(json(202, { accepted: 2, rejected: [{ index: 2, reason: 'bad' }] }), 3)).toEqual({
      accepted: 2,
      rejected: 1,
      retry: false,
    });
  });

  it('retries on 429 and 5xx, not on 400/413/415', async () => {
    expect((await interpretResponse(json(429, {}), 1)).retry).toBe(true);
    expect((await interpretResponse(json(503, {}), 1)).retry).toBe(true);
    for (const status of [400, 413, 415]) {
      expect(await interpretResponse(json(status, { error: { code: 'x', message: 'y' } }), 2)).toEqual({
        accepted: 0,
        rejected: 2,
        retry: false,
      });
    }
  });
});

describe('Tracker', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    document.body.innerHTML = '';
    document.title = 'Test page';
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function makeTracker() {
    const sent: TrackerEvent[][] = [];
    const send = vi.fn<SendBatch>(async (events) => {
      sent.push(events);
      return { accepted: events.length, rejected: 0, retry: false };
    });
    const { scheduler } = manualScheduler();
    const tracker = new Tracker({ site: 'shop' }, send, scheduler);
    return { tracker, sent, send };
  }

  it('keeps one anonymous_id in localStorage and one session_id per tab', async () => {
    const { tracker, sent } = makeTracker();
    tracker.pageview();
    tracker.track('button_click', { button: 'a' });
    await tracker.flush();
    const [first, second] = sent[0];
    expect(first.event).toBe('pageview');
    expect(first.site).toBe('shop');
    expect(first.title).toBe('Test page');
    expect(first.url).toBe(location.href);
    expect(first.anonymous_id).toMatch(UUID_RE);
    expect(first.anonymous_id).toBe(second.anonymous_id);
    expect(first.session_id).toBe(second.session_id);
    expect(first.event_id).not.toBe(second.event_id);
    expect(localStorage.getItem(STORAGE_KEYS.anonymousId)).toBe(first.anonymous_id);
    expect(parseSession(sessionStorage.getItem(STORAGE_KEYS.session))?.id).toBe(first.session_id);
    expect(second.properties).toEqual({ button: 'a' });
  });

  it('renews the session after 30 minutes idle', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-01T10:00:00Z'));
    const { tracker } = makeTracker();
    const s1 = tracker.touchSession();
    vi.setSystemTime(new Date('2026-11-01T10:29:00Z'));
    expect(tracker.touchSession()).toBe(s1);
    vi.setSystemTime(new Date('2026-11-01T11:00:00Z'));
    expect(tracker.touchSession()).not.toBe(s1);
  });

  it('adds user_id after identify()', async () => {
    const { tracker, sent } = makeTracker();
    tracker.identify('alice');
    tracker.track('x');
    tracker.identify(null);
    tracker.track('y');
    await tracker.flush();
    expect(sent[0][0].user_id).toBe('alice');
    expect(sent[0][1].user_id).toBeUndefined();
  });

  it('does not queue invalid event names', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { tracker } = makeTracker();
    expect(tracker.track('bad<name>')).toBe(false);
    expect(tracker.pending).toBe(0);
    expect(warn).toHaveBeenCalled();
  });

  it('tracks clicks on [data-track] elements once started', async () => {
    const { tracker, sent } = makeTracker();
    tracker.start();
    document.body.innerHTML =
      '<button data-track="plan_selected" data-track-plan="pro"><span id="label">Pro</span></button><button id="other">x</button>';
    document.getElementById('label')?.click();
    document.getElementById('other')?.click();
    tracker.stop();
    document.getElementById('label')?.click(); // no longer tracked
    await tracker.flush();
    expect(sent[0]).toHaveLength(1);
    expect(sent[0][0].event).toBe('plan_selected');
    expect(sent[0][0].properties).toEqual({ plan: 'pro' });
  });

  it('sends what is queued with sendBeacon on pagehide', () => {
    const beacon = vi.fn((_url: string, _body?: BodyInit | null) => true);
    Object.defineProperty(navigator, 'sendBeacon', { value: beacon, configurable: true, writable: true });
    const { tracker, send } = makeTracker();
    tracker.start();
    tracker.track('about_to_leave');
    window.dispatchEvent(new Event('pagehide'));
    tracker.stop();
    expect(beacon).toHaveBeenCalledTimes(1);
    const [url, body] = beacon.mock.calls[0];
    expect(url).toBe('/api/events');
    expect(typeof body).toBe('string'); // a string body goes out as text/plain
    expect((JSON.parse(body as string) as { events: TrackerEvent[] }).events[0].event).toBe('about_to_leave');
    expect(tracker.pending).toBe(0);
    expect(send).not.toHaveBeenCalled();
  });
});

describe('Tracker: links, URLs and SPA navigation (shared with t.js)', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    document.body.innerHTML = '';
    history.replaceState(null, '', '/start');
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function makeTracker(config: Partial<TrackerConfig> = {}) {
    const sent: TrackerEvent[][] = [];
    const send = vi.fn<SendBatch>(async (events) => {
      sent.push(events);
      return { accepted: events.length, rejected: 0, retry: false };
    });
    const tracker = new Tracker({ site: 'shop', ...config }, send, manualScheduler().scheduler);
    return { tracker, sent };
  }

  it('tracks outbound-link and file-download clicks', async () => {
    const { tracker, sent } = makeTracker();
    tracker.start();
    document.body.innerHTML =
      '<a id="out" href="https://partner.example/x?id=7&utm_source=a">o</a><a id="pdf" href="/f/report.pdf">p</a><a id="in" href="/about">i</a>';
    const prevent = (event: Event) => event.preventDefault(); // happy-dom would follow the links
    document.addEventListener('click', prevent, true);
    for (const id of ['out', 'pdf', 'in']) {
      document.getElementById(id)?.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
    }
    document.removeEventListener('click', prevent, true);
    tracker.stop();
    await tracker.flush();
    expect(sent[0].map((e) => [e.event, e.properties])).toEqual([
      ['outbound_click', { url: 'https://partner.example/x?utm_source=a' }],
      ['file_download', { url: 'http://localhost:3000/f/report.pdf' }],
    ]);
  });

  it('strips query strings except utm_* from url by default, keeps them with stripQuery: false', async () => {
    history.replaceState(null, '', '/p?email=a%40b.c&utm_source=x#frag');
    const stripped = makeTracker();
    stripped.tracker.pageview();
    await stripped.tracker.flush();
    expect(stripped.sent[0][0].url).toBe('http://localhost:3000/p?utm_source=x');
    const full = makeTracker({ stripQuery: false });
    full.tracker.pageview();
    await full.tracker.flush();
    expect(full.sent[0][0].url).toBe('http://localhost:3000/p?email=a%40b.c&utm_source=x#frag');
  });

  it('sends page views on SPA navigation only with trackNavigation: true', async () => {
    vi.useFakeTimers();
    const off = makeTracker();
    off.tracker.start();
    off.tracker.pageview();
    history.pushState(null, '', '/off');
    vi.advanceTimersByTime(1);
    off.tracker.stop();
    await off.tracker.flush();
    expect(off.sent[0].map((e) => e.url)).toEqual(['http://localhost:3000/start']);

    const on = makeTracker({ trackNavigation: true });
    on.tracker.start();
    on.tracker.pageview();
    history.pushState(null, '', '/pricing');
    history.replaceState(null, '', '/pricing?plan=pro'); // the same page once stripped
    vi.advanceTimersByTime(1);
    history.pushState(null, '', '/start');
    window.dispatchEvent(new PopStateEvent('popstate'));
    vi.advanceTimersByTime(1);
    on.tracker.stop();
    history.pushState(null, '', '/after-stop');
    vi.advanceTimersByTime(1);
    await on.tracker.flush();
    expect(on.sent[0].map((e) => [e.event, e.url])).toEqual([
      ['pageview', 'http://localhost:3000/off'],
      ['pageview', 'http://localhost:3000/pricing'],
      ['pageview', 'http://localhost:3000/start'],
    ]);
  });
});

describe('Tracker: offline queue, page hide, back-forward cache, opt-out', () => {
  let beacon: ReturnType<typeof vi.fn<(url: string, body?: BodyInit | null) => boolean>>;

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    document.body.innerHTML = '';
    history.replaceState(null, '', '/start?utm_source=mail&token=secret');
    beacon = vi.fn((_url: string, _body?: BodyInit | null) => true);
    Object.defineProperty(navigator, 'sendBeacon', { value: beacon, configurable: true, writable: true });
  });

  afterEach(() => {
    Reflect.deleteProperty(navigator, 'sendBeacon');
    Reflect.deleteProperty(navigator, 'onLine');
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  function makeTracker(config: Partial<TrackerConfig> = {}, send: SendBatch = accept) {
    const spy = vi.fn<SendBatch>(send);
    const timers = manualScheduler();
    const tracker = new Tracker({ site: 'shop', ...config }, spy, timers.scheduler);
    return { tracker, send: spy, timers };
  }
  const beaconEvents = () =>
    beacon.mock.calls.flatMap(([, body]) => (JSON.parse(body as string) as { events: TrackerEvent[] }).events);
  const sentEvents = (send: ReturnType<typeof vi.fn<SendBatch>>) => send.mock.calls.flatMap(([batch]) => batch);

  it('keeps failed events in localStorage and sends them from the next page load, with the same event_id', async () => {
    const first = makeTracker({}, fail);
    first.tracker.track('buy');
    expect(await first.tracker.flush()).toMatchObject({ accepted: 0, requeued: 1 });
    const [failed] = sentEvents(first.send);
    const next = makeTracker(); // a reload: a new tracker, the same localStorage
    expect(next.tracker.pending).toBe(1);
    next.timers.runAll();
    await vi.waitFor(() => expect(next.send).toHaveBeenCalledTimes(1));
    expect(sentEvents(next.send)).toEqual([failed]);
    expect(next.tracker.pending).toBe(0);
  });

  it('flushes when the browser comes back online', async () => {
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    const { tracker, send } = makeTracker();
    tracker.start();
    tracker.track('offline_click');
    await tracker.flush();
    expect(send).not.toHaveBeenCalled();
    Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
    window.dispatchEvent(new Event('online'));
    tracker.stop();
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(sentEvents(send).map((e) => e.event)).toEqual(['offline_click']);
  });

  it('keeps what the beacon refuses, and everything while offline, for the next page', async () => {
    const { tracker, send } = makeTracker();
    tracker.start();
    beacon.mockReturnValue(false);
    tracker.track('refused');
    window.dispatchEvent(new Event('pagehide'));
    beacon.mockClear();
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    tracker.track('offline');
    document.dispatchEvent(new Event('visibilitychange')); // still visible: nothing happens
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    Reflect.deleteProperty(document, 'visibilityState');
    tracker.stop();
    await Promise.resolve();
    expect(beacon).not.toHaveBeenCalled();
    expect(send).not.toHaveBeenCalled();
    expect(tracker.pending).toBe(2);
    Reflect.deleteProperty(navigator, 'onLine');
    const next = makeTracker();
    await next.tracker.flush();
    expect(sentEvents(next.send).map((e) => e.event)).toEqual(['refused', 'offline']);
  });

  it('falls back to fetch (keepalive) on page hide where sendBeacon is missing', async () => {
    Object.defineProperty(navigator, 'sendBeacon', { value: undefined, configurable: true });
    const { tracker, send } = makeTracker();
    tracker.start();
    tracker.track('leaving');
    window.dispatchEvent(new Event('pagehide'));
    tracker.stop();
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(sentEvents(send).map((e) => e.event)).toEqual(['leaving']);
  });

  it('counts a page view on each return from the back-forward cache, once the app has sent one', async () => {
    const { tracker, send } = makeTracker();
    tracker.start();
    const pageshow = (persisted: boolean) => {
      const event = new Event('pageshow');
      Object.defineProperty(event, 'persisted', { value: persisted });
      window.dispatchEvent(event);
    };
    pageshow(true); // no page view yet: the app has not started tracking pages
    tracker.pageview();
    pageshow(false); // a normal load is the app's to count
    pageshow(true);
    pageshow(true);
    tracker.stop();
    pageshow(true);
    await tracker.flush();
    expect(sentEvents(send).map((e) => [e.event, e.url])).toEqual([
      ['pageview', 'http://localhost:3000/start?utm_source=mail'],
      ['pageview', 'http://localhost:3000/start?utm_source=mail'],
      ['pageview', 'http://localhost:3000/start?utm_source=mail'],
    ]);
  });

  it('counts SPA navigation by path and hash route: not an app dropping utm_*, not an anchor', async () => {
    vi.useFakeTimers();
    for (const stripQuery of [true, false]) {
      history.replaceState(null, '', '/start?utm_source=mail&token=secret');
      const { tracker, send } = makeTracker({ trackNavigation: true, stripQuery });
      tracker.start();
      tracker.pageview();
      history.replaceState(null, '', '/start'); // the app drops utm_* from the address bar
      history.replaceState(null, '', '/start#faq');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
      vi.advanceTimersByTime(1);
      history.pushState(null, '', '/app#/orders');
      vi.advanceTimersByTime(1);
      history.pushState(null, '', '/app#/orders/7?tab=items');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
      vi.advanceTimersByTime(1);
      tracker.stop();
      await tracker.flush();
      expect(sentEvents(send).map((e) => e.url)).toEqual(
        stripQuery
          ? [
              'http://localhost:3000/start?utm_source=mail',
              'http://localhost:3000/app#/orders',
              'http://localhost:3000/app#/orders/7',
            ]
          : [
              'http://localhost:3000/start?utm_source=mail&token=secret',
              'http://localhost:3000/app#/orders',
              'http://localhost:3000/app#/orders/7?tab=items',
            ],
      );
    }
  });

  it('tracks middle and ctrl clicks on links, not right clicks, and data-track on primary clicks only', async () => {
    const { tracker, send } = makeTracker();
    tracker.start();
    document.body.innerHTML = '<a id="out" href="https://partner.example/" data-track="partner">p</a>';
    const out = document.getElementById('out');
    const prevent = (event: Event) => event.preventDefault(); // happy-dom would follow the link
    document.addEventListener('click', prevent, true);
    out?.dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button: 1 }));
    out?.dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button: 2 }));
    out?.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, metaKey: true }));
    document.removeEventListener('click', prevent, true);
    tracker.stop();
    await tracker.flush();
    expect(sentEvents(send).map((e) => e.event)).toEqual(['outbound_click', 'partner', 'outbound_click']);
  });

  it('opts out for this browser: nothing queued or sent, by this module or the script tag, until opt-in', async () => {
    const { tracker, send } = makeTracker({}, fail);
    tracker.start();
    tracker.track('failed_before');
    await tracker.flush(); // in the offline queue now
    tracker.track('queued_before');
    optOut(); // the page's tracker is another one: the flag stops this one too
    expect(isOptedOut()).toBe(true);
    expect(localStorage.getItem(OPT_OUT_KEY)).toBe('1'); // what t.js reads too
    expect(tracker.track('after')).toBe(false);
    expect(tracker.pageview()).toBe(false);
    expect(await tracker.flush()).toEqual({ accepted: 0, rejected: 0, requeued: 0, dropped: 0 });
    window.dispatchEvent(new Event('pagehide'));
    expect(beacon).not.toHaveBeenCalled();
    expect(send).toHaveBeenCalledTimes(1); // the first attempt, before the opt-out
    expect(tracker.pending).toBe(0);

    optIn();
    expect(isOptedOut()).toBe(false);
    expect(tracker.track('back')).toBe(true);
    tracker.optOut();
    expect(tracker.pending).toBe(0);
    expect(isOptedOut()).toBe(true);
    tracker.optIn();
    tracker.track('again');
    window.dispatchEvent(new Event('pagehide'));
    tracker.stop();
    expect(beaconEvents().map((e) => e.event)).toEqual(['again']);
  });

  it('keeps the opt-out in memory where localStorage is blocked', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const { tracker } = makeTracker();
    tracker.optOut();
    expect(isOptedOut()).toBe(true);
    expect(tracker.track('x')).toBe(false);
    tracker.optIn();
    expect(tracker.track('x')).toBe(true);
  });
});

describe('fetchSender', () => {
  it('POSTs a text/plain body (no CORS preflight) with keepalive to the endpoint', async () => {
    const fetchMock = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
      new Response(JSON.stringify({ accepted: 1, rejected: [] }), { status: 202 }),
    );
    vi.stubGlobal('fetch', fetchMock);
    try {
      const result = await fetchSender('/api/events')([fakeEvent(1)]);
      expect(result).toEqual({ accepted: 1, rejected: 0, retry: false });
      const [url, init] = fetchMock.mock.calls[0];
      expect(url).toBe('/api/events');
      expect(init?.method).toBe('POST');
      expect(init?.keepalive).toBe(true);
      expect(init?.credentials).toBe('omit');
      expect(init?.headers).toBeUndefined();
      expect(typeof init?.body).toBe('string'); // fetch sends a string as text/plain;charset=UTF-8
      expect(JSON.parse(init?.body as string)).toEqual({ events: [fakeEvent(1)] });

      const big = buildEvent('big', { text: 'x'.repeat(1000) }, context())!;
      await fetchSender('/api/events')(Array.from({ length: 70 }, () => big));
      expect(fetchMock.mock.calls[1][1]?.keepalive).toBe(false); // over 64 KiB: browsers refuse keepalive
      // The limit is in bytes: 25,000 × "€" is 75,000 bytes of UTF-8.
      const euros = buildEvent('big', { text: '€'.repeat(1000) }, context())!;
      await fetchSender('/api/events')(Array.from({ length: 25 }, () => euros));
      expect(fetchMock.mock.calls[2][1]?.keepalive).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
