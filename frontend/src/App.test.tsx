import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
// The lazily loaded routes, loaded up front so that React.lazy resolves them at once under fake timers.
import './components/AdminPage';
import './components/LoginPage';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

type Handler = (url: string, init: RequestInit | undefined) => Response | Promise<Response>;

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const OVERVIEW = {
  visitors: 10,
  visits: 12,
  pageviews: 50,
  events: 1234,
  views_per_visit: 4.17,
  bounce_rate: 0.4167,
  visit_duration: 65.4,
  approximate: false,
  from: '2026-03-24T00:00:00Z',
  to: '2026-03-30T23:59:59Z',
  compare: {
    visitors: 10,
    visits: 0,
    pageviews: 100,
    events: 1000,
    views_per_visit: 2.5,
    bounce_rate: 0.5,
    visit_duration: 50,
    from: '2026-03-17T00:00:00Z',
    to: '2026-03-23T23:59:59Z',
  },
};

let root: Root;
let container: HTMLDivElement;
let routes: Record<string, Handler>;
let calls: { url: string; init: RequestInit | undefined }[];

function byTestId(id: string): HTMLElement | null {
  return container.querySelector(`[data-testid="${id}"]`);
}

async function settle(ms = 0) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

function setInput(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
  setter?.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  localStorage.clear();
  sessionStorage.clear();
  calls = [];
  routes = {
    'POST /api/auth/login': (_url, init) => {
      const body = JSON.parse(init?.body as string) as { username: string; password: string };
      return body.password === 'admin'
        ? json(200, {
            access_token: 'tok',
            token_type: 'Bearer',
            expires_in: 3600,
            user: { username: 'admin', email: 'admin@example.com', role: 'admin' },
          })
        : json(401, { error: { code: 'invalid_credentials', message: 'Invalid username or password.', details: [] } });
    },
    'GET /api/auth/me': () =>
      json(200, { username: 'admin', email: 'admin@example.com', role: 'admin', created_at: '2026-01-01T00:00:00Z' }),
    'GET /api/analytics/overview': () => json(200, OVERVIEW),
    'POST /api/events': (_url, init) => {
      const { events } = JSON.parse(init?.body as string) as { events: unknown[] };
      return json(202, { accepted: events.length, rejected: [] });
    },
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : input.toString();
      calls.push({ url, init });
      const handler = routes[`${init?.method ?? 'GET'} ${url.split('?')[0]}`];
      return handler ? handler(url, init) : json(404, { error: { code: 'not_found', message: 'nope' } });
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

function Location() {
  const location = useLocation();
  return <span data-testid="location">{location.pathname}</span>;
}

function location(): string | null | undefined {
  return byTestId('location')?.textContent;
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
  await settle();
}

function click(element: Element | null) {
  expect(element).not.toBeNull();
  act(() => {
    (element as HTMLElement).click();
  });
}

interface SentEvent {
  event: string;
  site: string;
  url?: string;
  properties?: Record<string, unknown>;
}

/** Every event the page POSTed to the collector, in order. */
function sentEvents(): SentEvent[] {
  return calls
    .filter((c) => c.url === '/api/events' && c.init?.method === 'POST')
    .flatMap((c) => (JSON.parse(c.init?.body as string) as { events: SentEvent[] }).events);
}

async function signIn(password = 'admin') {
  await open('/login');
  const username = container.querySelector<HTMLInputElement>('input[name="username"]');
  const passwordInput = container.querySelector<HTMLInputElement>('input[name="password"]');
  expect(username).not.toBeNull();
  act(() => {
    setInput(username as HTMLInputElement, 'admin');
    setInput(passwordInput as HTMLInputElement, password);
  });
  click(byTestId('login-submit'));
  await settle();
}

describe('public dashboard', () => {
  it('renders at / without signing in, and sends a page view to the demo site', async () => {
    await open('/');
    expect(byTestId('dashboard')).not.toBeNull();
    expect(container.querySelector('h1')?.textContent).toContain('Ship your roadmap');
    expect(container.querySelectorAll('[data-track]').length).toBeGreaterThan(15);
    expect(calls.some((c) => c.url.startsWith('/api/auth') || c.url.startsWith('/api/analytics'))).toBe(false);
    await settle(1000);
    expect(sentEvents().map((e) => [e.event, e.site])).toEqual([['pageview', 'demo']]);
  });

  it('tracks a click on a data-track element with its properties', async () => {
    await open('/');
    click(byTestId('feature-automations'));
    expect(byTestId('feature-automations')?.getAttribute('aria-expanded')).toBe('true');
    click(byTestId('tab-engineering'));
    click(byTestId('billing-yearly'));
    expect(byTestId('price-pro')?.textContent).toBe('$10');
    await settle(1000);
    const events = sentEvents();
    expect(events.map((e) => e.event)).toEqual(['pageview', 'feature_card', 'tab_select', 'billing_toggle']);
    expect(events.every((e) => e.site === 'demo')).toBe(true);
    expect(events[1].properties).toEqual({ feature: 'automations' });
    expect(events[2].properties).toEqual({ tab: 'engineering' });
  });

  it('sends signup_start, signup_details and signup_complete through the sign-up steps', async () => {
    await open('/');
    click(byTestId('choose-enterprise'));
    click(byTestId('signup-start'));
    expect(byTestId('signup')?.getAttribute('data-step')).toBe('details');
    // The details step checks its fields before moving on.
    click(byTestId('signup-details'));
    expect(byTestId('signup-error')?.textContent).toContain('name');
    act(() => {
      setInput(byTestId('signup-name') as HTMLInputElement, 'Ada');
      setInput(byTestId('signup-email') as HTMLInputElement, 'ada@example.com');
    });
    click(byTestId('signup-details'));
    expect(byTestId('signup')?.getAttribute('data-step')).toBe('complete');
    click(byTestId('signup-complete'));
    expect(byTestId('signup-done')?.textContent).toContain('Welcome aboard, Ada');
    await settle(1000);
    const events = sentEvents();
    expect(events.map((e) => e.event)).toEqual([
      'pageview',
      'plan_selected',
      'signup_start',
      'signup_details',
      'signup_complete',
    ]);
    expect(events.slice(2).map((e) => e.properties?.plan)).toEqual(['enterprise', 'enterprise', 'enterprise']);
    expect(events[3].properties).toEqual({ plan: 'enterprise', team_size: '6-20' });
    // Names and e-mail addresses stay on the page.
    expect(JSON.stringify(events)).not.toContain('ada@example.com');
  });

  it('leads to /login with the Admin Panel button, and stops tracking there', async () => {
    await open('/');
    click(byTestId('admin-panel-link'));
    await settle();
    expect(location()).toBe('/login');
    expect(container.querySelector('input[name="username"]')).not.toBeNull();
    // Leaving the dashboard sends what was queued (the button's own click) at once.
    expect(sentEvents().map((e) => e.event)).toEqual(['pageview', 'admin_panel_open']);
    click(byTestId('back-to-dashboard'));
    await settle();
    expect(location()).toBe('/');
    click(byTestId('admin-panel-link'));
    await settle();
    const before = sentEvents().length;
    click(byTestId('login-submit'));
    click(container.querySelector('h1'));
    await settle(2000);
    expect(sentEvents()).toHaveLength(before);
  });
});

describe('sign-in and the admin panel', () => {
  it('shows the API’s message when the sign-in fails', async () => {
    await signIn('wrong');
    expect(byTestId('login-error')?.textContent).toBe('Invalid username or password.');
    expect((byTestId('login-submit') as HTMLButtonElement).disabled).toBe(false);
  });

  it('sends a signed-out visitor of /admin to /login', async () => {
    await open('/admin');
    expect(location()).toBe('/login');
    expect(container.querySelector('input[name="username"]')).not.toBeNull();
    expect(calls.some((c) => c.url.startsWith('/api/'))).toBe(false);
  });

  it('signs in, goes to /admin, shows the user and the overview', async () => {
    await signIn();
    await settle(10);
    expect(location()).toBe('/admin');
    expect(byTestId('admin')).not.toBeNull();
    expect(byTestId('user-name')?.textContent).toBe('admin');
    expect(byTestId('user-email')?.textContent).toBe('admin@example.com');
    expect(byTestId('events-count')?.textContent).toBe('1,234');
    expect(byTestId('events-count')?.getAttribute('data-value')).toBe('1234');
    expect(byTestId('events-count-change')?.textContent).toContain('+23%');
    expect(byTestId('visitors-count')?.textContent).toBe('10');
    expect(byTestId('visitors-count-change')?.textContent).toContain('0%');
    expect(byTestId('visits-count')?.textContent).toBe('12');
    expect(byTestId('visits-count-change')?.textContent).toContain('new');
    expect(byTestId('pageviews-count')?.textContent).toBe('50');
    expect(byTestId('pageviews-count-change')?.textContent).toContain('\u221250%');
    expect(byTestId('pageviews-count-change')?.className).toContain('trend-down');
    expect(byTestId('views-per-visit')?.textContent).toBe('4.17');
    expect(byTestId('views-per-visit-change')?.textContent).toContain('+67%');
    // Bounce rate 0..1 is shown as a percentage; its change is relative to the compared period's rate.
    expect(byTestId('bounce-rate')?.textContent).toBe('42%');
    expect(byTestId('bounce-rate')?.getAttribute('data-value')).toBe('0.4167');
    expect(byTestId('bounce-rate-change')?.textContent).toContain('\u221217%');
    expect(byTestId('bounce-rate-change')?.getAttribute('title')).toBe('Compared period: 50%');
    // A falling bounce rate is good news: coloured as a rise in visitors is.
    expect(byTestId('bounce-rate-change')?.className).toContain('trend-up');
    expect(byTestId('visit-duration')?.textContent).toBe('1m 05s');
    expect(byTestId('visit-duration-change')?.textContent).toContain('+31%');
    expect(byTestId('visit-duration-change')?.getAttribute('title')).toBe('Compared period: 50s');
    expect(byTestId('sessions-count')).toBeNull();
    expect(byTestId('overview-approximate')).toBeNull();
    const overviewCall = calls.find((c) => c.url.startsWith('/api/analytics/overview'));
    expect((overviewCall?.init?.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('shows no change badges when the answer has nothing to compare with', async () => {
    routes['GET /api/analytics/overview'] = () => json(200, { ...OVERVIEW, approximate: true, compare: null });
    await signIn();
    await settle(10);
    expect(byTestId('visits-count')?.textContent).toBe('12');
    expect(byTestId('bounce-rate')?.textContent).toBe('42%');
    expect(container.querySelectorAll('[data-testid$="-change"]')).toHaveLength(0);
    expect(byTestId('overview-approximate')).not.toBeNull();
  });

  it('does not poll the overview: it refreshes on demand and when the window regains focus', async () => {
    await signIn();
    await settle(10);
    const count = () => calls.filter((c) => c.url.startsWith('/api/analytics/overview')).length;
    const before = count();
    await settle(60_000);
    expect(count()).toBe(before);
    click(container.querySelector('.panel-status .button'));
    await settle(10);
    expect(count()).toBe(before + 1);
    // Stale after 30 s: coming back to the tab loads it again.
    await settle(31_000);
    act(() => {
      window.dispatchEvent(new Event('visibilitychange'));
    });
    await settle(10);
    expect(count()).toBe(before + 2);
  });

  it('goes straight to /admin from /login when already signed in', async () => {
    await signIn();
    await settle(10);
    act(() => root.unmount());
    root = createRoot(container);
    await open('/login');
    await settle(10);
    expect(location()).toBe('/admin');
    expect(byTestId('user-name')?.textContent).toBe('admin');
  });

  it('does not track itself: no page views, no clicks from the admin panel', async () => {
    await signIn();
    await settle(10);
    click(container.querySelector('#overview-title'));
    click(container.querySelector('.panel-status .button'));
    await settle(3000);
    expect(sentEvents()).toEqual([]);
  });

  it('sends the test event at once (to the playground site) and polls the overview after it', async () => {
    await signIn();
    await settle(10);
    const overviews = () => calls.filter((c) => c.url.startsWith('/api/analytics/overview')).length;
    const before = overviews();
    act(() => {
      byTestId('send-event')?.click();
    });
    await settle();
    const post = calls.find(
      (c) => c.url === '/api/events' && (c.init?.body as string).includes('"button_click"'),
    );
    expect(post).toBeDefined();
    expect(sentEvents().map((e) => [e.event, e.site])).toEqual([['button_click', 'playground']]);
    expect(byTestId('send-status')?.textContent).toContain('Accepted');
    await settle(3000);
    expect(overviews()).toBeGreaterThanOrEqual(before + 3);
  });

  it('goes back to the login form when the API answers 401', async () => {
    await signIn();
    await settle(10);
    routes['GET /api/analytics/overview'] = () => json(401, { error: { code: 'invalid_token', message: 'expired' } });
    click(container.querySelector('.panel-status .button'));
    await settle(10);
    expect(location()).toBe('/login');
    expect(container.querySelector('input[name="username"]')).not.toBeNull();
    expect(byTestId('user-name')).toBeNull();
  });

  it('signs out', async () => {
    await signIn();
    await settle(10);
    click(byTestId('sign-out'));
    await settle();
    expect(location()).toBe('/login');
    expect(container.querySelector('input[name="username"]')).not.toBeNull();
    expect(localStorage.getItem('analytics.auth')).toBeNull();
  });
});
