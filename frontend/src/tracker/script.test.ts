// The script-tag tracker (dist/t.js): ./script.ts, its entry ./t.ts and the shared ./core.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OPT_OUT_KEY, cleanUrl, clicked, linkEvent, pageKey, trackProps, uuid } from './core';
import {
  ANONYMOUS_ID_KEY,
  BATCH,
  FLUSH_MS,
  MAX_RETRY_MS,
  OFFLINE_MAX,
  QUEUE_KEY,
  USER_ID_KEY,
  createPulse,
  type PulseEvent,
} from './script';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const API = 'https://collect.example/api/events';

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

// Every createPulse() adds page-wide listeners and patches history: undo both after each test.
const added: [EventTarget, string, EventListenerOrEventListenerObject, unknown][] = [];
const originalHistory = { push: history.pushState, replace: history.replaceState };
function recordListeners(target: EventTarget, key: 'addEventListener', self: EventTarget) {
  const original = target[key];
  vi.spyOn(target, key).mockImplementation(function (this: unknown, type, listener, options) {
    if (listener) added.push([self, type, listener, options]);
    original.call(self, type, listener, options);
  });
}

let fetchMock: ReturnType<typeof vi.fn<Fetch>>;
let beacon: ReturnType<typeof vi.fn<(url: string, body?: BodyInit | null) => boolean>>;

/** The events of every fetch so far. */
function fetched(): PulseEvent[][] {
  return fetchMock.mock.calls.map(([, init]) => (JSON.parse(init?.body as string) as { events: PulseEvent[] }).events);
}
const names = (batches: PulseEvent[][]) => batches.flat().map((e) => e.event);
const answer = (status: number) => async () => new Response('{}', { status });
const stored = () => JSON.parse(localStorage.getItem(QUEUE_KEY) ?? '[]') as PulseEvent[];

/** Lets the fetch promises settle. */
async function settle() {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-01T10:00:00Z'));
  localStorage.clear();
  document.body.innerHTML = '';
  document.title = 'Shop';
  history.replaceState(null, '', '/products?email=a%40b.c&utm_source=news&utm_medium=mail#reviews');
  recordListeners(globalThis, 'addEventListener', window);
  if ((window as unknown) !== globalThis) recordListeners(window, 'addEventListener', window);
  recordListeners(document, 'addEventListener', document);
  fetchMock = vi.fn<Fetch>(answer(202));
  vi.stubGlobal('fetch', fetchMock);
  beacon = vi.fn((_url: string, _body?: BodyInit | null) => true);
  Object.defineProperty(navigator, 'sendBeacon', { value: beacon, configurable: true, writable: true });
  // Links must not navigate the test page (the tracker does not look at defaultPrevented).
  document.addEventListener('click', (event) => event.preventDefault(), true);
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const [target, type, listener, options] of added.splice(0)) {
    target.removeEventListener(type, listener, options as EventListenerOptions);
  }
  history.pushState = originalHistory.push;
  history.replaceState = originalHistory.replace;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function pageshow(persisted: boolean): Event {
  const event = new Event('pageshow');
  Object.defineProperty(event, 'persisted', { value: persisted });
  return event;
}

/** Clicks like a user: a cancelable click (whose default, following the link, the test page prevents). */
function click(id: string) {
  document.getElementById(id)?.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
}

/** A started tracker whose first page view has already gone out, with fetch cleared. */
async function started() {
  const pulse = createPulse('shop', API);
  pulse.flush();
  await settle();
  fetchMock.mockClear();
  return pulse;
}

describe('page views', () => {
  it('sends the first page view with the collector’s event fields, as text/plain with keepalive', async () => {
    createPulse('shop', API);
    expect(fetchMock).not.toHaveBeenCalled(); // batched
    vi.advanceTimersByTime(FLUSH_MS);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe(API);
    expect(init?.method).toBe('POST');
    expect(init?.keepalive).toBe(true);
    expect(typeof init?.body).toBe('string'); // a string body is sent as text/plain: no CORS preflight
    expect(init?.headers).toBeUndefined();
    const [event] = fetched()[0];
    expect(event).toEqual({
      event: 'pageview',
      site: 'shop',
      event_id: expect.stringMatching(UUID_RE) as string,
      timestamp: '2026-11-01T10:00:00.000Z',
      anonymous_id: expect.stringMatching(UUID_RE) as string,
      session_id: expect.stringMatching(UUID_RE) as string,
      url: 'http://localhost:3000/products?utm_source=news&utm_medium=mail',
      title: 'Shop',
    });
  });

  it('follows SPA navigation: pushState, replaceState, popstate, hash routes, bfcache', async () => {
    await started();
    history.pushState(null, '', '/cart');
    document.title = 'Cart'; // apps set the title after pushState
    history.replaceState(null, '', '/cart?session=secret'); // the same page once the query is stripped
    vi.advanceTimersByTime(1);
    history.replaceState(null, '', '/checkout');
    vi.advanceTimersByTime(1);
    history.pushState(null, '', '/cart');
    window.dispatchEvent(new PopStateEvent('popstate'));
    vi.advanceTimersByTime(1);
    history.pushState(null, '', '/cart#details'); // an anchor, not a route
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    history.pushState(null, '', '/app#/settings'); // a hash route
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    vi.advanceTimersByTime(1);
    window.dispatchEvent(pageshow(false));
    window.dispatchEvent(pageshow(true)); // back from the back-forward cache
    vi.advanceTimersByTime(FLUSH_MS);
    const events = fetched().flat();
    expect(events.map((e) => [e.event, e.url, e.title])).toEqual([
      ['pageview', 'http://localhost:3000/cart', 'Cart'],
      ['pageview', 'http://localhost:3000/checkout', 'Cart'],
      ['pageview', 'http://localhost:3000/cart', 'Cart'],
      ['pageview', 'http://localhost:3000/app#/settings', 'Cart'],
      ['pageview', 'http://localhost:3000/app#/settings', 'Cart'],
    ]);
  });

  it('does not count a replaceState that keeps the path (an app dropping utm_*, an anchor) twice', async () => {
    // The first page view has the utm_* of the landing URL (beforeEach); apps often remove them at once.
    const pulse = createPulse('shop', API);
    history.replaceState(null, '', '/products');
    history.replaceState(null, '', '/products?page=2#reviews');
    window.dispatchEvent(new PopStateEvent('popstate'));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    vi.advanceTimersByTime(1);
    history.replaceState(null, '', '/products/42');
    vi.advanceTimersByTime(1);
    pulse.flush();
    expect(fetched().flat().map((e) => e.url)).toEqual([
      'http://localhost:3000/products?utm_source=news&utm_medium=mail',
      'http://localhost:3000/products/42',
    ]);
  });

  it('counts every return from the back-forward cache, on the same page too', async () => {
    const pulse = await started();
    window.dispatchEvent(pageshow(true));
    vi.advanceTimersByTime(1);
    window.dispatchEvent(pageshow(true));
    vi.advanceTimersByTime(1);
    pulse.flush();
    expect(fetched().flat().map((e) => [e.event, e.url])).toEqual([
      ['pageview', 'http://localhost:3000/products?utm_source=news&utm_medium=mail'],
      ['pageview', 'http://localhost:3000/products?utm_source=news&utm_medium=mail'],
    ]);
  });
});

describe('clicks', () => {
  it('tracks outbound links and file downloads, not internal links', async () => {
    await started();
    document.body.innerHTML = `
      <a id="out" href="https://partner.example/deal?ref=me&utm_campaign=x"><b id="inner">Deal</b></a>
      <a id="pdf" href="/files/guide.PDF?token=1">Guide</a>
      <a id="dl" href="/export" download>Export</a>
      <a id="in" href="/about">About</a>
      <a id="mail" href="mailto:hi@example.com">Mail</a>`;
    for (const id of ['inner', 'pdf', 'dl', 'in', 'mail']) click(id);
    const out = document.getElementById('out');
    out?.dispatchEvent(new MouseEvent('auxclick', { bubbles: true, cancelable: true, button: 1 })); // middle click
    out?.dispatchEvent(new MouseEvent('auxclick', { bubbles: true, cancelable: true, button: 2 })); // right click
    out?.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, ctrlKey: true })); // new tab
    // Browsers that also fire `click` for the middle button must not count it twice.
    out?.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, button: 1 }));
    pulse_flush();
    expect(fetched().flat().map((e) => [e.event, e.properties])).toEqual([
      ['outbound_click', { url: 'https://partner.example/deal?utm_campaign=x' }],
      ['file_download', { url: 'http://localhost:3000/files/guide.PDF' }],
      ['file_download', { url: 'http://localhost:3000/export' }],
      ['outbound_click', { url: 'https://partner.example/deal?utm_campaign=x' }], // middle click
      ['outbound_click', { url: 'https://partner.example/deal?utm_campaign=x' }], // ctrl-click
    ]);
  });

  it('counts links to another origin as outbound: another port, scheme or subdomain, not the same origin', async () => {
    await started();
    document.body.innerHTML = `
      <a id="port" href="http://localhost:4000/">port</a>
      <a id="scheme" href="https://localhost:3000/">scheme</a>
      <a id="sub" href="http://www.localhost:3000/">sub</a>
      <a id="same" href="http://localhost:3000/pricing?ref=x">same</a>
      <a id="relative" href="#top">anchor</a>`;
    for (const id of ['port', 'scheme', 'sub', 'same', 'relative']) click(id);
    pulse_flush();
    expect(fetched().flat().map((e) => e.properties?.url)).toEqual([
      'http://localhost:4000/',
      'https://localhost:3000/',
      'http://www.localhost:3000/',
    ]);
  });

  it('tracks data-track clicks with data-track-* properties', async () => {
    await started();
    document.body.innerHTML = `
      <div data-track="plan_selected" data-track-plan="pro" data-track-Billing-Period="yearly" data-x="no">
        <button><span id="label">Choose</span></button>
      </div>
      <button id="plain">Plain</button>
      <button id="bad" data-track="no<html>">Bad</button>`;
    for (const id of ['label', 'plain', 'bad']) click(id);
    // A middle or right click is no click on a button.
    for (const button of [1, 2]) {
      document.getElementById('label')?.dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button }));
    }
    pulse_flush();
    expect(fetched().flat().map((e) => [e.event, e.properties])).toEqual([
      ['plan_selected', { plan: 'pro', billing_period: 'yearly' }],
    ]);
  });
});

/** Runs the flush timer. */
function pulse_flush() {
  vi.advanceTimersByTime(FLUSH_MS);
}

describe('pulse.track / identify', () => {
  it('tracks custom events, skips invalid names, adds user_id after identify (kept across pages)', async () => {
    const pulse = await started();
    pulse.track('signup', { plan: 'pro', seats: 3, trial: true, coupon: null });
    pulse.track('bad<name>');
    pulse.identify('user-42');
    pulse.track('upgrade');
    const next = createPulse('shop', API); // a later page load
    next.track('next_page');
    next.flush();
    pulse.identify(null);
    pulse.track('after_logout');
    pulse.flush();
    const events = fetched().flat();
    expect(events.map((e) => [e.event, e.user_id])).toEqual([
      ['pageview', 'user-42'], // the later page, flushed first
      ['next_page', 'user-42'],
      ['signup', undefined],
      ['upgrade', 'user-42'],
      ['after_logout', undefined],
    ]);
    expect(events[2].properties).toEqual({ plan: 'pro', seats: 3, trial: true, coupon: null });
    expect(localStorage.getItem(USER_ID_KEY)).toBeNull();
  });
});

describe('batching, retry and the offline queue', () => {
  it('sends a batch at once when it is full, else after the flush interval', async () => {
    const pulse = await started();
    for (let i = 0; i < BATCH - 1; i += 1) pulse.track(`e${i}`);
    expect(fetchMock).not.toHaveBeenCalled();
    pulse.track('last');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetched()[0]).toHaveLength(BATCH);
    pulse.track('alone');
    vi.advanceTimersByTime(FLUSH_MS - 1);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(names(fetched().slice(1))).toEqual(['alone']);
  });

  it('keeps failed batches in localStorage and retries with backoff (network error, 5xx, 429)', async () => {
    const pulse = await started();
    fetchMock.mockImplementationOnce(async () => {
      throw new TypeError('Failed to fetch');
    });
    fetchMock.mockImplementationOnce(answer(503));
    fetchMock.mockImplementationOnce(answer(429));
    pulse.track('buy');
    pulse.flush();
    await settle();
    expect(names([stored()])).toEqual(['buy']);
    vi.advanceTimersByTime(FLUSH_MS); // first retry
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(names([stored()])).toEqual(['buy']);
    vi.advanceTimersByTime(2 * FLUSH_MS - 1); // backoff doubles
    expect(fetchMock).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1);
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(4 * FLUSH_MS);
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(4);
    expect(stored()).toEqual([]);
    const ids = fetched().map((batch) => batch[0].event_id);
    expect(new Set(ids).size).toBe(1); // the same event each time: the server counts it once
  });

  it('drops batches the collector refuses for good (4xx)', async () => {
    const pulse = await started();
    fetchMock.mockImplementationOnce(answer(400));
    pulse.track('x');
    pulse.flush();
    await settle();
    vi.advanceTimersByTime(10 * MAX_RETRY_MS);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(stored()).toEqual([]);
  });

  it('bounds the offline queue and sends it from the next page, also when back online', async () => {
    fetchMock.mockImplementation(async () => {
      throw new TypeError('offline');
    });
    const pulse = createPulse('shop', API);
    for (let i = 0; i < OFFLINE_MAX + 50; i += 1) pulse.track(`e${i}`);
    pulse.flush();
    await settle();
    expect(stored()).toHaveLength(OFFLINE_MAX);
    expect(stored().at(-1)?.event).toBe(`e${OFFLINE_MAX + 49}`); // the oldest went first
    fetchMock.mockReset();
    fetchMock.mockImplementation(answer(202));
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(fetched().flat()).toHaveLength(OFFLINE_MAX);
    expect(stored()).toEqual([]);
    expect(fetched().every((batch) => batch.length <= 20)).toBe(true); // keepalive bodies stay small

    // Left over from an earlier page: the next page sends it.
    localStorage.setItem(QUEUE_KEY, JSON.stringify([{ event: 'left_over', site: 'shop', anonymous_id: 'a' }]));
    fetchMock.mockClear();
    createPulse('shop', API);
    vi.advanceTimersByTime(FLUSH_MS);
    expect(names(fetched())).toEqual(['left_over', 'pageview']);
  });
});

describe('nothing sent twice, nothing lost', () => {
  it('sends an event once while an earlier send is still on its way', async () => {
    const pulse = await started();
    let answerFirst: (response: Response) => void = () => undefined;
    fetchMock.mockImplementationOnce(() => new Promise<Response>((resolve) => (answerFirst = resolve)));
    pulse.track('first');
    pulse.flush();
    pulse.track('second');
    pulse.flush();
    pulse.flush();
    answerFirst(new Response('{}', { status: 202 }));
    await settle();
    vi.advanceTimersByTime(10 * FLUSH_MS);
    expect(fetched().map((batch) => batch.map((e) => e.event))).toEqual([['first'], ['second']]);
  });

  it('sends a failed batch from the next page load, with the same event ids', async () => {
    const pulse = await started();
    fetchMock.mockImplementationOnce(answer(502));
    pulse.track('buy', { sku: 'a1' });
    pulse.flush();
    await settle();
    const [failed] = fetched().flat();
    fetchMock.mockClear();
    createPulse('shop', API); // a reload before the retry
    vi.advanceTimersByTime(FLUSH_MS);
    await settle();
    const [again, pageview] = fetched().flat();
    expect(again).toEqual(failed);
    expect(pageview.event).toBe('pageview');
    expect(stored()).toEqual([]);
  });

  it('sends large bodies without keepalive (browsers refuse keepalive bodies over 64 KiB)', async () => {
    const pulse = await started();
    pulse.track('small');
    pulse.flush();
    pulse.track('big', { text: 'x'.repeat(70_000) });
    pulse.flush();
    // The limit is in bytes: 30,000 × "€" are 90,000 bytes of UTF-8 in a string of length 30,000.
    pulse.track('wide', { text: '€'.repeat(30_000) });
    pulse.flush();
    expect(fetchMock.mock.calls.map(([, init]) => init?.keepalive)).toEqual([true, false, false]);
  });
});

describe('page hide', () => {
  it('sends what is queued with sendBeacon on pagehide and when the tab is hidden', async () => {
    const pulse = await started();
    pulse.track('about_to_leave');
    window.dispatchEvent(new Event('pagehide'));
    expect(beacon).toHaveBeenCalledTimes(1);
    const [url, body] = beacon.mock.calls[0];
    expect(url).toBe(API);
    expect(typeof body).toBe('string'); // text/plain
    expect(names([(JSON.parse(body as string) as { events: PulseEvent[] }).events])).toEqual(['about_to_leave']);

    pulse.track('tab_hidden');
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    Reflect.deleteProperty(document, 'visibilityState');
    expect(beacon).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(FLUSH_MS);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('keeps the events for later when the beacon is refused or the browser is offline', async () => {
    const pulse = await started();
    beacon.mockReturnValue(false);
    pulse.track('refused');
    window.dispatchEvent(new Event('pagehide'));
    expect(names([stored()])).toEqual(['refused']);
    beacon.mockClear();
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    pulse.track('offline');
    window.dispatchEvent(new Event('pagehide'));
    Reflect.deleteProperty(navigator, 'onLine');
    expect(beacon).not.toHaveBeenCalled();
    expect(names([stored()])).toEqual(['refused', 'offline']);
    const ids = stored().map((e) => e.event_id);

    // The next page sends them, unchanged.
    fetchMock.mockClear();
    createPulse('shop', API);
    vi.advanceTimersByTime(FLUSH_MS);
    expect(fetched().flat().slice(0, 2).map((e) => e.event_id)).toEqual(ids);
  });

  it('falls back to fetch with keepalive (text/plain) where sendBeacon is missing', async () => {
    const pulse = await started();
    Object.defineProperty(navigator, 'sendBeacon', { value: undefined, configurable: true });
    fetchMock.mockImplementationOnce(async () => {
      throw new TypeError('Failed to fetch');
    });
    pulse.track('leaving');
    window.dispatchEvent(new Event('pagehide'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe(API);
    expect(init?.keepalive).toBe(true);
    expect(typeof init?.body).toBe('string');
    expect(names(fetched())).toEqual(['leaving']);
    await settle();
    expect(names([stored()])).toEqual(['leaving']); // that failed: kept for later
  });
});

describe('ids', () => {
  it('keeps one anonymous id, a session id that ends after 30 minutes idle, one event id per event', async () => {
    const pulse = await started();
    pulse.track('a');
    vi.setSystemTime(new Date('2026-11-01T10:29:00Z'));
    const next = createPulse('shop', API); // another page, 29 minutes later
    next.track('b');
    next.flush();
    vi.setSystemTime(new Date('2026-11-01T10:59:01Z'));
    pulse.track('c'); // 30 minutes and 1 second later
    pulse.flush();
    const [pv, b, a, c] = fetched().flat();
    expect(pv.event).toBe('pageview');
    expect(new Set([a, pv, b, c].map((e) => e.anonymous_id)).size).toBe(1);
    expect(a.anonymous_id).toBe(localStorage.getItem(ANONYMOUS_ID_KEY));
    expect(b.session_id).toBe(a.session_id);
    expect(c.session_id).not.toBe(a.session_id);
    expect(c.session_id).toMatch(UUID_RE);
    expect(new Set([a, pv, b, c].map((e) => e.event_id)).size).toBe(4);
  });

  it('makes UUIDs with or without crypto.randomUUID', () => {
    expect(uuid()).toMatch(UUID_RE);
    vi.spyOn(crypto, 'randomUUID').mockImplementation(() => {
      throw new Error('insecure context');
    });
    const ids = new Set(Array.from({ length: 50 }, uuid));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(UUID_RE);
  });

  it('still works where localStorage is blocked', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const pulse = createPulse('shop', API);
    pulse.track('x');
    pulse.flush();
    const [pv, x] = fetched().flat();
    expect(pv.anonymous_id).toMatch(UUID_RE);
    expect(x.anonymous_id).toBe(pv.anonymous_id);
    expect(x.session_id).toBe(pv.session_id);
  });

  it('cookieless, keeps nothing but the opt-out and asks the collector for the visitor id', () => {
    const pulse = createPulse('shop', API, [['identify', 'u1']], true);
    pulse.track('x');
    pulse.flush();
    const [pv, x] = fetched().flat();
    expect(fetchMock.mock.calls[0][0]).toBe(API + '?cookieless=1');
    for (const e of [pv, x]) {
      expect(e.anonymous_id).toBeUndefined();
      expect(e.session_id).toBeUndefined();
      expect(e.event_id).toMatch(UUID_RE);
    }
    // identify() lasts for the page only.
    expect(x.user_id).toBe('u1');
    expect(localStorage.length).toBe(0);
    pulse.optOut();
    expect(localStorage.getItem(OPT_OUT_KEY)).toBe('1');
    // An endpoint with a query of its own keeps it.
    fetchMock.mockClear();
    localStorage.clear();
    createPulse('shop', API + '?k=1', [], true).flush();
    expect(fetchMock.mock.calls[0][0]).toBe(API + '?k=1&cookieless=1');
  });
});

describe('opt-out', () => {
  it('sends nothing after optOut(), drops the queue, and resumes after optIn()', async () => {
    const pulse = await started();
    pulse.track('queued');
    pulse.optOut();
    expect(localStorage.getItem(OPT_OUT_KEY)).toBe('1');
    pulse.track('ignored');
    createPulse('shop', API); // no page view on the next page either
    history.pushState(null, '', '/elsewhere');
    vi.advanceTimersByTime(10 * FLUSH_MS);
    window.dispatchEvent(new Event('pagehide'));
    expect(fetchMock).not.toHaveBeenCalled();
    expect(beacon).not.toHaveBeenCalled();
    pulse.optIn();
    pulse.track('back');
    pulse.flush();
    expect(names(fetched())).toEqual(['back']);
  });

  it('stops sending what was already queued or failing once the flag is set (also from another tab)', async () => {
    const pulse = await started();
    fetchMock.mockImplementationOnce(answer(503));
    pulse.track('failed_before');
    pulse.flush();
    await settle();
    pulse.track('queued_before');
    localStorage.setItem(OPT_OUT_KEY, '1'); // what pulse.optOut() in another tab does
    vi.advanceTimersByTime(10 * MAX_RETRY_MS);
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('pagehide'));
    pulse.track('after');
    pulse.flush();
    expect(names(fetched())).toEqual(['failed_before']); // the first attempt only
    expect(beacon).not.toHaveBeenCalled();
    expect(stored()).toEqual([]);
  });
});

describe('core helpers', () => {
  it('strips query strings except utm_*, and hashes except hash routes', () => {
    expect(cleanUrl('https://shop.example/p?id=1&utm_source=a&q=x&utm_term=b#top')).toBe(
      'https://shop.example/p?utm_source=a&utm_term=b',
    );
    expect(cleanUrl('https://shop.example/#/orders/1?email=a%40b.c')).toBe('https://shop.example/#/orders/1');
    expect(cleanUrl('https://shop.example/#!/orders')).toBe('https://shop.example/#!/orders');
    expect(cleanUrl('https://shop.example/a?token=abc')).toBe('https://shop.example/a');
    expect(cleanUrl('')).toBe('');
    expect(cleanUrl('not a url')).toBe('not a url');
  });

  it('keys pages by path and hash route, not by query or anchor', () => {
    expect(pageKey('https://shop.example/p?utm_source=a#top')).toBe('https://shop.example/p');
    expect(pageKey('https://shop.example/p?id=1')).toBe('https://shop.example/p');
    expect(pageKey('https://shop.example/app?utm_source=a#/orders?tab=2')).toBe('https://shop.example/app#/orders');
    expect(pageKey('https://shop.example/app#/orders')).not.toBe(pageKey('https://shop.example/app#/cart'));
  });

  it('reads data-track-* properties and classifies links', () => {
    document.body.innerHTML =
      '<a data-track="x" data-track-a-b="1" data-tracker="no" data-track-="no" href="https://other.example/f.zip">z</a>';
    const link = document.querySelector('a') as HTMLAnchorElement;
    expect(trackProps(link)).toEqual({ a_b: '1' });
    expect(linkEvent(link)).toEqual(['file_download', { url: 'https://other.example/f.zip' }]);
    for (const file of ['a.tar.gz', 'b.DMG', 'c.docx', 'd.mp4', 'e.csv', 'f.7z']) {
      link.href = `/files/${file}?sig=secret`;
      expect(linkEvent(link)).toEqual(['file_download', { url: `http://localhost:3000/files/${file}` }]);
    }
    link.href = '/files/page.html';
    expect(linkEvent(link)).toBeUndefined();
    link.href = 'https://other.example/page';
    expect(linkEvent(link)?.[0]).toBe('outbound_click');
    link.href = 'http://localhost:3000/page';
    expect(linkEvent(link)).toBeUndefined();
    for (const href of ['javascript:void(0)', 'mailto:a@b.c', 'tel:+1', 'ftp://other.example/f.zip']) {
      link.href = href;
      expect(linkEvent(link)).toBeUndefined();
    }
  });

  it('reads a click: data-track only on a primary click, links on primary and middle clicks', () => {
    document.body.innerHTML = '<a href="https://other.example/" data-track="go" data-track-to="x"><i id="in">go</i></a>';
    const target = document.getElementById('in');
    const event = (type: string, button: number) => {
      const made = new MouseEvent(type, { button });
      Object.defineProperty(made, 'target', { value: target });
      return clicked(made);
    };
    const outbound = ['outbound_click', { url: 'https://other.example/' }];
    expect(event('click', 0)).toEqual([['go', { to: 'x' }], outbound]);
    expect(event('auxclick', 1)).toEqual([undefined, outbound]);
    expect(event('auxclick', 2)).toEqual([]);
    expect(event('click', 1)).toEqual([]);
  });
});

/** window.pulse, read anew (TypeScript would keep it narrowed after `delete`). */
const currentPulse = () => window.pulse;

describe('the script tag (t.ts)', () => {
  it('reads data-site and data-api, defaults the endpoint to its own origin, and sets window.pulse', async () => {
    const script = document.createElement('script');
    script.src = 'https://analytics.example/t.js';
    script.dataset.site = 'blog';
    Object.defineProperty(document, 'currentScript', { value: script, configurable: true });
    try {
      vi.resetModules();
      await import('./t');
      expect(window.pulse).toBeDefined();
      window.pulse?.track('hello');
      window.pulse?.flush();
      const [url] = fetchMock.mock.calls[0];
      expect(url).toBe('https://analytics.example/api/events');
      expect(fetched()[0].map((e) => [e.event, e.site])).toEqual([
        ['pageview', 'blog'],
        ['hello', 'blog'],
      ]);

      // A second copy of the script leaves the first one in charge.
      const first = window.pulse;
      script.dataset.api = 'https://other.example/collect';
      vi.resetModules();
      await import('./t');
      expect(window.pulse).toBe(first);

      delete window.pulse;
      vi.resetModules();
      await import('./t');
      fetchMock.mockClear();
      currentPulse()?.flush();
      expect(fetchMock.mock.calls[0][0]).toBe('https://other.example/collect');
    } finally {
      Reflect.deleteProperty(document, 'currentScript');
      delete window.pulse;
    }
  });

  /** Loads t.js the way a page does, after the snippet below may have queued calls on `window.pulse`. */
  async function load(site: string) {
    const script = document.createElement('script');
    script.src = 'https://analytics.example/t.js';
    script.dataset.site = site;
    Object.defineProperty(document, 'currentScript', { value: script, configurable: true });
    vi.resetModules();
    await import('./t');
    Reflect.deleteProperty(document, 'currentScript');
  }

  /** The stub a page puts before the script tag (README): calls wait in `pulse.q`. */
  function stub() {
    const w = window as unknown as { pulse?: { (...args: unknown[]): void; q?: IArguments[] } };
    w.pulse =
      w.pulse ||
      function () {
        const self = w.pulse!;
        // Like the snippet: the arguments object itself.
        // eslint-disable-next-line prefer-rest-params
        (self.q = self.q || []).push(arguments);
      };
  }

  it('replays calls queued before it loaded, in order and before the first page view', async () => {
    try {
      stub();
      const early = window.pulse as unknown as (...args: unknown[]) => void;
      early('identify', 'user-7');
      early('track', 'clicked_early', { where: 'hero' });
      early('no_such_method', 1);
      early('track', 'bad<name>');
      await load('blog');
      expect(window.pulse?.track).toBeTypeOf('function');
      window.pulse?.('track', 'after_load', { n: 1 }); // the function form keeps working
      window.pulse?.flush();
      expect(fetched().flat().map((e) => [e.event, e.user_id, e.properties])).toEqual([
        ['clicked_early', 'user-7', { where: 'hero' }],
        ['pageview', 'user-7', undefined],
        ['after_load', 'user-7', { n: 1 }],
      ]);
    } finally {
      delete window.pulse;
    }
  });

  it('applies a queued opt-out before the first page view', async () => {
    try {
      stub();
      (window.pulse as unknown as (...args: unknown[]) => void)('optOut');
      await load('blog');
      vi.advanceTimersByTime(10 * FLUSH_MS);
      window.dispatchEvent(new Event('pagehide'));
      expect(fetchMock).not.toHaveBeenCalled();
      expect(beacon).not.toHaveBeenCalled();
      expect(localStorage.getItem(OPT_OUT_KEY)).toBe('1');
    } finally {
      delete window.pulse;
    }
  });
});
