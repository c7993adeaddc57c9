import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../App';
import type { Live, LiveEvent } from '../../api';
import '../AdminPage';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

type Handler = (url: URL) => Response | Promise<Response>;

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const NOW = new Date('2026-03-30T12:00:00Z');

function event(overrides: Partial<LiveEvent>): LiveEvent {
  return {
    event: 'pageview',
    site: 'shop',
    timestamp: '2026-03-30T11:59:48Z',
    path: '/pricing',
    title: 'Pricing',
    referrer: '',
    browser: 'Firefox',
    os: 'Linux',
    device: 'desktop',
    country: 'DE',
    ...overrides,
  };
}

const LIVE: Live = {
  window_seconds: 300,
  visitors: 7,
  events: 42,
  pages: [
    { path: '/pricing', visitors: 4 },
    { path: '/', visitors: 2 },
  ],
  recent: [
    event({}),
    event({
      event: '<img src=x onerror=alert(1)>',
      site: 'blog',
      timestamp: '2026-03-30T11:57:00Z',
      path: '/',
      browser: 'Safari',
      device: 'mobile',
      country: 'FR',
    }),
  ],
};

let root: Root;
let container: HTMLDivElement;
let routes: Record<string, Handler>;
let calls: URL[];
let visibility: DocumentVisibilityState;

function byTestId(id: string, scope: ParentNode = container): HTMLElement | null {
  return scope.querySelector(`[data-testid="${id}"]`);
}

function allByTestId(id: string): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

async function settle(ms = 0) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

function click(element: Element | null) {
  expect(element).not.toBeNull();
  act(() => {
    (element as HTMLElement).click();
  });
}

function setVisibility(state: DocumentVisibilityState) {
  visibility = state;
  act(() => {
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  });
}

function Location() {
  const location = useLocation();
  return <span data-testid="location">{location.pathname + location.search}</span>;
}

async function open(path: string) {
  act(() =>
    root.render(
      <MemoryRouter initialEntries={[path]}>
        <App />
        <Location />
      </MemoryRouter>,
    ),
  );
  await settle(10);
  await settle(10);
}

const liveCalls = () => calls.filter((u) => u.pathname === '/api/analytics/live');

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(NOW);
  localStorage.clear();
  localStorage.setItem('analytics.auth', JSON.stringify({ token: 'tok', expiresAt: NOW.getTime() + 3600_000 }));
  visibility = 'visible';
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
  calls = [];
  routes = {
    '/api/auth/me': () =>
      json(200, { username: 'admin', email: 'admin@example.com', role: 'admin', created_at: '2026-01-01T00:00:00Z' }),
    '/api/analytics/live': () => json(200, LIVE),
    '/api/analytics/sites': () =>
      json(200, {
        sites: [
          { site: 'blog', events: 10, visitors_30d: 3, last_seen: '2026-03-30T11:57:00Z' },
          { site: 'shop', events: 90, visitors_30d: 12, last_seen: '2026-03-30T11:59:48Z' },
        ],
      }),
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(input instanceof Request ? input.url : input.toString(), 'http://localhost');
      calls.push(url);
      const handler = routes[url.pathname];
      return handler ? handler(url) : json(404, { error: { code: 'not_found', message: 'nope' } });
    }),
  );
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  Reflect.deleteProperty(document, 'visibilityState');
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('live view', () => {
  it('shows a spinner until the first answer arrives', async () => {
    let answer: (r: Response) => void = () => {};
    routes['/api/analytics/live'] = () => new Promise<Response>((resolve) => (answer = resolve));
    await open('/admin/live');
    expect(byTestId('live-loading')).not.toBeNull();
    expect(byTestId('live-visitors')).toBeNull();
    answer(json(200, LIVE));
    await settle(10);
    expect(byTestId('live-loading')).toBeNull();
    expect(byTestId('live-visitors')?.textContent).toBe('7');
  });

  it('renders the figures, the top pages and the feed of the answer', async () => {
    await open('/admin/live');
    expect(byTestId('live-visitors')?.textContent).toBe('7');
    expect(byTestId('live-events')?.textContent).toBe('42');
    expect(container.textContent).toContain('Visitors in the last 5 minutes');
    expect(container.textContent).toContain('Events in the last 5 minutes');

    const pages = allByTestId('live-page');
    expect(pages.map((p) => p.querySelector('.bar-label')?.textContent)).toEqual(['/pricing', '/']);
    expect((pages[0].querySelector('.bar-fill') as HTMLElement).style.width).toBe('100%');
    expect((pages[1].querySelector('.bar-fill') as HTMLElement).style.width).toBe('50%');

    const rows = allByTestId('live-event').map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    expect(rows).toEqual([
      ['12 s ago', 'pageview', 'shop', '/pricing', 'DE', 'Firefox · desktop'],
      ['3 min ago', '<img src=x onerror=alert(1)>', 'blog', '/', 'FR', 'Safari · mobile'],
    ]);
    expect(byTestId('live-updated')?.textContent).toContain('Last updated');
    expect(liveCalls()[0].searchParams.has('site')).toBe(false);
  });

  it('renders attacker-controlled event names as text, never as markup', async () => {
    await open('/admin/live');
    expect(allByTestId('live-event')).toHaveLength(2);
    expect(container.querySelector('img')).toBeNull();
    expect([...container.querySelectorAll('.live-name')].map((td) => td.textContent)).toContain('<img src=x onerror=alert(1)>');
  });

  it('shows the empty state when nobody is around', async () => {
    routes['/api/analytics/live'] = () => json(200, { window_seconds: 300, visitors: 0, events: 0, pages: [], recent: [] });
    await open('/admin/live');
    expect(byTestId('live-empty')?.textContent).toBe('No one here in the last 5 minutes');
    expect(byTestId('live-feed')).toBeNull();
  });

  it('polls every 5 seconds and keeps the relative times counting', async () => {
    await open('/admin/live');
    expect(liveCalls()).toHaveLength(1);
    await settle(5000);
    expect(liveCalls()).toHaveLength(2);
    await settle(10_000);
    expect(liveCalls()).toHaveLength(4);
    expect(allByTestId('live-event')[0].querySelector('time')?.textContent).toBe('27 s ago');
    expect(byTestId('live-status')?.textContent).toBe('Live · updates every 5 s');
  });

  it('stops polling while the tab is hidden and refreshes at once when it is shown again', async () => {
    await open('/admin/live');
    await settle(5000);
    expect(liveCalls()).toHaveLength(2);

    setVisibility('hidden');
    await settle(30_000);
    expect(liveCalls()).toHaveLength(2);
    expect(byTestId('live-status')?.textContent).toBe('Paused while this tab is hidden');

    setVisibility('visible');
    await settle(10);
    expect(liveCalls()).toHaveLength(3);
    await settle(5000);
    expect(liveCalls()).toHaveLength(4);
  });

  it('pauses and resumes polling with the pause button', async () => {
    await open('/admin/live');
    const pause = byTestId('live-pause');
    expect(pause?.getAttribute('aria-pressed')).toBe('false');

    click(pause);
    expect(pause?.getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('live-status')?.textContent).toBe('Paused');
    await settle(30_000);
    expect(liveCalls()).toHaveLength(1);
    // Paused figures stay, and their age keeps counting against the clock.
    expect(allByTestId('live-event')[0].querySelector('time')?.textContent).toBe('42 s ago');

    // Showing the tab again does not end a pause the user chose.
    setVisibility('hidden');
    setVisibility('visible');
    await settle(10);
    expect(liveCalls()).toHaveLength(1);

    click(pause);
    expect(pause?.getAttribute('aria-pressed')).toBe('false');
    await settle(10);
    expect(liveCalls()).toHaveLength(2);
    await settle(5000);
    expect(liveCalls()).toHaveLength(3);
  });

  it('writes the chosen site to the URL, keeping other parameters, and asks for it', async () => {
    await open('/admin/live?range=30d');
    const select = byTestId('live-site') as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
      ['', 'All sites'],
      ['blog', 'blog'],
      ['shop', 'shop'],
    ]);

    act(() => {
      select.value = 'shop';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin/live?range=30d&site=shop');
    expect(liveCalls().at(-1)?.searchParams.get('site')).toBe('shop');
    await settle(5000);
    expect(liveCalls().at(-1)?.searchParams.get('site')).toBe('shop');

    act(() => {
      select.value = '';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin/live?range=30d');
    expect(liveCalls().at(-1)?.searchParams.has('site')).toBe(false);
  });

  it('reads the site from a shared URL', async () => {
    await open('/admin/live?site=blog');
    expect((byTestId('live-site') as HTMLSelectElement).value).toBe('blog');
    expect(liveCalls()[0].searchParams.get('site')).toBe('blog');
  });

  it('keeps the last figures with a banner when a poll fails, and goes on polling', async () => {
    await open('/admin/live');
    routes['/api/analytics/live'] = () => json(503, { error: { code: 'query_timeout', message: 'Query took too long.' } });
    await settle(5000);
    expect(byTestId('live-refresh-error')?.textContent).toContain('Query took too long.');
    expect(byTestId('live-visitors')?.textContent).toBe('7');
    expect(allByTestId('live-event')).toHaveLength(2);

    routes['/api/analytics/live'] = () => json(200, { ...LIVE, visitors: 9 });
    await settle(5000);
    expect(byTestId('live-refresh-error')).toBeNull();
    expect(byTestId('live-visitors')?.textContent).toBe('9');
  });

  it('shows the error state when the first request fails, then recovers on the next poll', async () => {
    routes['/api/analytics/live'] = () => json(500, { error: { code: 'internal', message: 'Database unavailable.' } });
    await open('/admin/live');
    expect(byTestId('live-error')?.textContent).toContain('Database unavailable.');
    routes['/api/analytics/live'] = () => json(200, LIVE);
    await settle(5000);
    expect(byTestId('live-error')).toBeNull();
    expect(byTestId('live-visitors')?.textContent).toBe('7');
  });

  it('highlights events that were not in the previous answer', async () => {
    await open('/admin/live');
    expect(allByTestId('live-event').some((tr) => tr.dataset.new)).toBe(false);
    routes['/api/analytics/live'] = () =>
      json(200, { ...LIVE, recent: [event({ event: 'signup', timestamp: '2026-03-30T12:00:03Z' }), ...LIVE.recent] });
    await settle(5000);
    expect(allByTestId('live-event').map((tr) => tr.dataset.new === 'true')).toEqual([true, false, false]);
  });

  it('is the only section that polls: leaving it stops the requests', async () => {
    await open('/admin/live');
    await settle(5000);
    const before = liveCalls().length;
    click(byTestId('nav-account'));
    await settle(30_000);
    expect(byTestId('location')?.textContent).toBe('/admin/account');
    expect(liveCalls()).toHaveLength(before);
  });
});
