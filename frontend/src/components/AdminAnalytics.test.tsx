import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import './AdminPage';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

type Handler = (url: URL) => Response;

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const METRICS = { visitors: 3, visits: 4, pageviews: 9, events: 1234, views_per_visit: 2.25, bounce_rate: 0.25, visit_duration: 30 };
const OVERVIEW = { ...METRICS, approximate: false, from: '2026-03-24', to: '2026-03-30', compare: null };
const NOW = new Date('2026-03-30T12:00:00Z');

const ROWS: Record<string, { value: string; visitors: number }[]> = {
  path: [
    { value: '/pricing', visitors: 8 },
    { value: '/', visitors: 4 },
  ],
  event: [{ value: '<script>alert(1)</script>', visitors: 2 }],
  referrer: [
    { value: 'news.example.com', visitors: 3 },
    { value: 'javascript:alert(1)', visitors: 1 },
  ],
};

let root: Root;
let container: HTMLDivElement;
let routes: Record<string, Handler>;
let calls: URL[];

function byTestId(id: string, scope: ParentNode = container): HTMLElement | null {
  return scope.querySelector(`[data-testid="${id}"]`);
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

function setValue(element: Element | null, value: string) {
  expect(element).not.toBeNull();
  const el = element as HTMLInputElement | HTMLSelectElement;
  const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  act(() => {
    Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, value);
    el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}

function submit(form: Element | null) {
  expect(form).not.toBeNull();
  act(() => {
    form?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  });
}

function Location() {
  const location = useLocation();
  return <span data-testid="location">{location.pathname + location.search}</span>;
}

async function open(path: string) {
  // A fresh root: a MemoryRouter reads its initial entries only once.
  act(() => root.unmount());
  root = createRoot(container);
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

function callsTo(route: string): URL[] {
  return calls.filter((u) => u.pathname === `/api/analytics/${route}`);
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(NOW);
  localStorage.clear();
  localStorage.setItem('analytics.auth', JSON.stringify({ token: 'tok', expiresAt: NOW.getTime() + 3600_000 }));
  calls = [];
  routes = {
    '/api/auth/me': () =>
      json(200, { username: 'admin', email: 'admin@example.com', role: 'admin', created_at: '2026-01-01T00:00:00Z' }),
    '/api/analytics/overview': () => json(200, OVERVIEW),
    '/api/analytics/timeseries': () =>
      json(200, {
        interval: 'day',
        points: [
          { t: '2026-03-28T00:00:00Z', visitors: 1, visits: 1, pageviews: 2, events: 3 },
          { t: '2026-03-29T00:00:00Z', visitors: 5, visits: 6, pageviews: 11, events: 20 },
          { t: '2026-03-30T00:00:00Z', visitors: 2, visits: 2, pageviews: 4, events: 6 },
        ],
      }),
    '/api/analytics/sites': () =>
      json(200, {
        sites: [
          { site: 'demo', events: 10, visitors_30d: 3, last_seen: '2026-03-30T11:00:00Z' },
          { site: 'shop', events: 5, visitors_30d: 2, last_seen: '2026-03-30T10:00:00Z' },
        ],
      }),
    '/api/analytics/breakdown': (url) => {
      const dimension = url.searchParams.get('dimension') ?? '';
      const rows = (ROWS[dimension] ?? []).map((r) => ({ ...METRICS, ...r }));
      return json(200, { dimension, rows, total_visitors: 12 });
    },
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
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('admin analytics panels', () => {
  it('keeps the overview cards and the user, and renders the chart from the time series', async () => {
    await open('/admin');
    expect(byTestId('user-name')?.textContent).toBe('admin');
    expect(byTestId('events-count')?.textContent).toBe('1,234');
    const chart = byTestId('timeseries-chart');
    expect(chart).not.toBeNull();
    expect(chart?.querySelectorAll('path[data-series]')).toHaveLength(2);
    const cells = [...(byTestId('timeseries-table')?.querySelectorAll('tbody td') ?? [])].map((td) => td.textContent);
    expect(cells).toEqual(['1', '2', '5', '11', '2', '4']);
    // The default range: the last 7 days, today included.
    const ts = callsTo('timeseries')[0];
    expect(ts.searchParams.get('from')).toBe('2026-03-24');
    expect(ts.searchParams.get('to')).toBe('2026-03-30');
  });

  it('renders a breakdown as bars, and shows the empty state where there are no rows', async () => {
    await open('/admin');
    const pages = byTestId('breakdown-path');
    const rows = [...(pages?.querySelectorAll('[data-testid="breakdown-row"]') ?? [])];
    expect(rows.map((r) => r.querySelector('.bar-label')?.textContent)).toEqual(['/pricing', '/']);
    expect((rows[0].querySelector('.bar-fill') as HTMLElement).style.width).toBe('100%');
    expect((rows[1].querySelector('.bar-fill') as HTMLElement).style.width).toBe('50%');
    expect(byTestId('breakdown-browser-empty', byTestId('breakdown-browser') as HTMLElement)?.textContent).toBe(
      'No data for this range',
    );
    const breakdowns = callsTo('breakdown').map((u) => u.searchParams.get('dimension'));
    // One request per card: only the chosen tab of a card is loaded.
    expect(breakdowns.sort()).toEqual(['browser', 'country', 'event', 'path', 'referrer']);
    expect(callsTo('breakdown').every((u) => u.searchParams.get('limit') === '10')).toBe(true);
  });

  it('shows an error with a retry in a panel whose request fails', async () => {
    routes['/api/analytics/timeseries'] = () => json(503, { error: { code: 'query_timeout', message: 'Query took too long.' } });
    await open('/admin');
    await settle(5000);
    expect(byTestId('timeseries-error')?.textContent).toContain('Query took too long.');
    expect(byTestId('breakdown-path')?.querySelectorAll('[data-testid="breakdown-row"]')).toHaveLength(2);
  });

  it('adds a clicked row as a filter to the URL, and every next request carries it', async () => {
    await open('/admin');
    const before = calls.length;
    click(byTestId('breakdown-path')?.querySelector('[data-testid="breakdown-row"]') ?? null);
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin?filter=path%3Ais%3A%2Fpricing');
    expect(byTestId('filter-chip')?.textContent).toContain('page is /pricing');
    const next = calls.slice(before);
    const routesHit = new Set(next.map((u) => u.pathname));
    expect(routesHit).toEqual(
      new Set(['/api/analytics/overview', '/api/analytics/timeseries', '/api/analytics/breakdown']),
    );
    expect(next.filter((u) => u.pathname === '/api/analytics/breakdown')).toHaveLength(5);
    for (const url of next) expect(url.searchParams.getAll('filter')).toEqual(['path:is:/pricing']);

    // Removing it widens the view again.
    click(byTestId('filter-chip')?.querySelector('button') ?? null);
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin');
    expect(byTestId('filter-chip')).toBeNull();
  });

  it('reads filters and the range from a shared URL', async () => {
    await open('/admin?range=30d&filter=event:is:signup&filter=bogus');
    expect(byTestId('range-30d')?.getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('filter-chip')?.textContent).toContain('event is signup');
    const ts = callsTo('timeseries')[0];
    expect(ts.searchParams.getAll('filter')).toEqual(['event:is:signup']);
    expect(ts.searchParams.get('from')).toBe('2026-03-01');
  });

  it('changes the from/to of every request with the date preset, and keeps it in the URL', async () => {
    await open('/admin');
    const before = calls.length;
    click(byTestId('range-30d'));
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin?range=30d');
    const next = calls.slice(before).filter((u) => u.pathname.startsWith('/api/analytics/'));
    expect(next.length).toBeGreaterThanOrEqual(7);
    for (const url of next) {
      expect(url.searchParams.get('from')).toBe('2026-03-01');
      expect(url.searchParams.get('to')).toBe('2026-03-30');
    }
    click(byTestId('range-today'));
    await settle(10);
    const today = callsTo('timeseries').at(-1);
    expect(today?.searchParams.get('from')).toBe('2026-03-30');
    expect(today?.searchParams.get('to')).toBe('2026-03-30');
  });

  it('shows attacker-controlled values as text and links only http(s) referrers', async () => {
    await open('/admin');
    const events = byTestId('breakdown-event') as HTMLElement;
    expect(events.querySelector('.bar-label')?.textContent).toBe('<script>alert(1)</script>');
    expect(container.querySelector('script')).toBeNull();
    const links = [...(byTestId('breakdown-referrer')?.querySelectorAll('a') ?? [])].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['https://news.example.com/']);
  });

  it('refreshes the panels on demand, not on a timer', async () => {
    await open('/admin');
    const count = () => callsTo('timeseries').length;
    const before = count();
    await settle(60_000);
    expect(count()).toBe(before);
    click(byTestId('refresh-panels'));
    await settle(10);
    expect(count()).toBe(before + 1);
    expect(callsTo('breakdown').length).toBe(10);
  });

  it('switches the tab of a card, loads only that dimension, and keeps the choice in the URL', async () => {
    await open('/admin');
    const before = callsTo('breakdown').length;
    click(byTestId('tab-exit_page'));
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin?pages=exit_page');
    const next = callsTo('breakdown').slice(before);
    expect(next.map((u) => u.searchParams.get('dimension'))).toEqual(['exit_page']);
    expect(byTestId('tab-exit_page')?.getAttribute('aria-selected')).toBe('true');
    // A shared URL opens on the same tab.
    await open('/admin?sources=utm_campaign&devices=os');
    expect(byTestId('tab-utm_campaign')?.getAttribute('aria-selected')).toBe('true');
    expect(byTestId('tab-os')?.getAttribute('aria-selected')).toBe('true');
  });

  it('adds a filter with any operator of the API, and one on an event property', async () => {
    await open('/admin');
    click(byTestId('add-filter'));
    setValue(byTestId('filter-dimension'), 'utm_source');
    setValue(byTestId('filter-op'), 'not_contains');
    setValue(byTestId('filter-value'), 'spam|ads');
    submit(byTestId('filter-form'));
    await settle(10);
    expect(byTestId('filter-chip')?.textContent).toContain('UTM source does not contain spam|ads');
    expect(callsTo('timeseries').at(-1)?.searchParams.getAll('filter')).toEqual(['utm_source:not_contains:spam|ads']);

    click(byTestId('add-filter'));
    setValue(byTestId('filter-dimension'), '__property');
    setValue(byTestId('filter-property'), 'plan');
    setValue(byTestId('filter-op'), 'matches');
    setValue(byTestId('filter-value'), '^pro');
    submit(byTestId('filter-form'));
    await settle(10);
    expect(callsTo('overview').at(-1)?.searchParams.getAll('filter')).toEqual([
      'utm_source:not_contains:spam|ads',
      'prop:plan:matches:^pro',
    ]);
    expect(container.querySelectorAll('[data-testid="filter-chip"]')[1]?.textContent).toContain('property plan matches ^pro');

    // A key with a colon can't be sent: the form says so and adds nothing.
    click(byTestId('add-filter'));
    setValue(byTestId('filter-dimension'), '__property');
    setValue(byTestId('filter-property'), 'a:b');
    submit(byTestId('filter-form'));
    expect(byTestId('filter-form')?.querySelector('[role="alert"]')?.textContent).toContain('without ":"');
    expect(container.querySelectorAll('[data-testid="filter-chip"]')).toHaveLength(2);
  });

  it('takes a custom range of days', async () => {
    await open('/admin');
    click(byTestId('range-custom'));
    setValue(byTestId('range-from'), '2026-02-01');
    setValue(byTestId('range-to'), '2026-02-14');
    submit(byTestId('range-form'));
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin?range=custom&from=2026-02-01&to=2026-02-14');
    const ts = callsTo('timeseries').at(-1);
    expect(ts?.searchParams.get('from')).toBe('2026-02-01');
    expect(ts?.searchParams.get('to')).toBe('2026-02-14');
    expect(byTestId('range-custom')?.getAttribute('aria-pressed')).toBe('true');
  });

  it('sends the time zone with every request and counts today in it', async () => {
    // 2026-03-30T12:00Z is already the 31st on Kiritimati (UTC+14).
    await open('/admin?range=today');
    setValue(byTestId('tz-select'), 'Pacific/Kiritimati');
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin?range=today&tz=Pacific%2FKiritimati');
    const ts = callsTo('timeseries').at(-1);
    expect(ts?.searchParams.get('tz')).toBe('Pacific/Kiritimati');
    expect(ts?.searchParams.get('from')).toBe('2026-03-31');
    expect(callsTo('breakdown').at(-1)?.searchParams.get('tz')).toBe('Pacific/Kiritimati');
    // An unknown zone in a shared URL is dropped rather than turning every panel into a 400.
    await open('/admin?tz=Mars/Olympus');
    expect(callsTo('timeseries').at(-1)?.searchParams.get('tz')).toBeNull();
  });

  it('sends compare only to the overview, and picks a site from the sites list', async () => {
    await open('/admin');
    setValue(byTestId('compare-select'), 'year');
    await settle(10);
    expect(callsTo('overview').at(-1)?.searchParams.get('compare')).toBe('year');
    expect(callsTo('timeseries').every((u) => !u.searchParams.has('compare'))).toBe(true);
    const options = [...(byTestId('site-select')?.querySelectorAll('option') ?? [])].map((o) => o.textContent);
    expect(options).toEqual(['All sites', 'demo', 'shop']);
    setValue(byTestId('site-select'), 'shop');
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin?site=shop&compare=year');
    expect(callsTo('breakdown').at(-1)?.searchParams.get('site')).toBe('shop');
  });

  it('breaks down an event property by the key typed in', async () => {
    await open('/admin');
    setValue(byTestId('prop-key'), 'plan');
    submit(byTestId('prop-show')?.closest('form') ?? null);
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/admin?prop=plan');
    expect(callsTo('breakdown').at(-1)?.searchParams.get('dimension')).toBe('prop:plan');
  });

  it('draws the compared period dashed on the chart, from the bounds the overview answers with', async () => {
    const compare = { ...METRICS, from: '2026-03-17T00:00:00Z', to: '2026-03-24T00:00:00Z' };
    routes['/api/analytics/overview'] = (url) =>
      json(200, { ...OVERVIEW, compare: url.searchParams.get('compare') === 'none' ? null : compare });
    await open('/admin');
    const previous = callsTo('timeseries').find((u) => u.searchParams.get('from') === compare.from);
    expect(previous?.searchParams.get('to')).toBe(compare.to);
    expect(previous?.searchParams.get('interval')).toBe('day');
    expect(byTestId('timeseries-chart')?.querySelector('path[data-compare="visitors"]')).not.toBeNull();
    // No comparison: no second series.
    await open('/admin?compare=none');
    expect(byTestId('timeseries-chart')?.querySelector('path[data-compare]')).toBeNull();
  });

  it('offers the export to an admin only', async () => {
    await open('/admin');
    expect(byTestId('export')).not.toBeNull();
    routes['/api/auth/me'] = () =>
      json(200, { username: 'vera', email: 'vera@example.com', role: 'viewer', created_at: '2026-01-01T00:00:00Z' });
    await open('/admin');
    expect(byTestId('user-name')?.textContent).toBe('vera');
    expect(byTestId('export')).toBeNull();
    expect(byTestId('nav-users')).toBeNull();
  });

  it('labels the count axis with whole numbers only', async () => {
    // A maximum of 1 would give ticks 0, 0.2, ... 1: read as 0, 0, 0, 1, 1, 1 once rounded.
    routes['/api/analytics/timeseries'] = () =>
      json(200, {
        interval: 'day',
        points: [
          { t: '2026-03-29T00:00:00Z', visitors: 0, visits: 0, pageviews: 0, events: 0 },
          { t: '2026-03-30T00:00:00Z', visitors: 1, visits: 1, pageviews: 1, events: 1 },
        ],
      });
    await open('/admin');
    const labels = [...(byTestId('timeseries-chart')?.querySelectorAll('.visx-axis-left text') ?? [])].map((t) => t.textContent);
    expect(labels.length).toBeGreaterThan(1);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('carries the view to the other analysis sections, and only the site to the live view', async () => {
    await open('/admin?range=30d&site=shop&filter=event:is:signup&pages=exit_page');
    expect(byTestId('nav-funnels')?.getAttribute('href')).toBe('/admin/funnels?range=30d&site=shop&filter=event%3Ais%3Asignup');
    expect(byTestId('nav-live')?.getAttribute('href')).toBe('/admin/live?site=shop');
    expect(byTestId('nav-account')?.getAttribute('href')).toBe('/admin/account');
  });

  it('counts a preset from the new day once midnight has passed', async () => {
    await open('/admin?range=today');
    expect(callsTo('timeseries').at(-1)?.searchParams.get('from')).toBe('2026-03-30');
    // (The token must outlive the night.)
    localStorage.setItem('analytics.auth', JSON.stringify({ token: 'tok', expiresAt: NOW.getTime() + 86_400_000 }));
    vi.setSystemTime(new Date('2026-03-31T00:00:30Z'));
    await settle(60_000);
    await settle(10);
    expect(callsTo('timeseries').at(-1)?.searchParams.get('from')).toBe('2026-03-31');
  });

  it("puts the time axis ticks on the buckets, labelled in the view's zone", async () => {
    routes['/api/analytics/timeseries'] = () =>
      json(200, {
        interval: 'day',
        points: [
          { t: '2026-03-29T00:00:00+09:00', visitors: 1, visits: 1, pageviews: 2, events: 3 },
          { t: '2026-03-30T00:00:00+09:00', visitors: 2, visits: 2, pageviews: 4, events: 6 },
        ],
      });
    await open('/admin?tz=Asia/Tokyo');
    const labels = [...(byTestId('timeseries-chart')?.querySelectorAll('.visx-axis-bottom text') ?? [])].map((t) => t.textContent);
    expect(labels).toEqual(['Mar 29', 'Mar 30']);
    const rows = [...(byTestId('timeseries-table')?.querySelectorAll('tbody th') ?? [])].map((t) => t.textContent);
    expect(rows).toEqual(['Mar 29', 'Mar 30']);
  });
});
