import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { init } from './tracker';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

type Handler = (url: string, init: RequestInit | undefined) => Response | Promise<Response>;

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const OVERVIEW = {
  events: 1234,
  visitors: 10,
  sessions: 12,
  pageviews: 50,
  previous: { events: 1000, visitors: 10, sessions: 0, pageviews: 100 },
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
  init({ site: 'default' });
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

async function signIn(password = 'admin') {
  act(() => root.render(<App />));
  const username = container.querySelector<HTMLInputElement>('input[name="username"]');
  const passwordInput = container.querySelector<HTMLInputElement>('input[name="password"]');
  expect(username).not.toBeNull();
  act(() => {
    setInput(username as HTMLInputElement, 'admin');
    setInput(passwordInput as HTMLInputElement, password);
  });
  act(() => {
    byTestId('login-submit')?.click();
  });
  await settle();
}

describe('App', () => {
  it('shows the API’s message when the sign-in fails', async () => {
    await signIn('wrong');
    expect(byTestId('login-error')?.textContent).toBe('Invalid username or password.');
    expect((byTestId('login-submit') as HTMLButtonElement).disabled).toBe(false);
  });

  it('signs in, shows the user and the overview', async () => {
    await signIn();
    await settle(10);
    expect(byTestId('user-name')?.textContent).toBe('admin');
    expect(byTestId('user-email')?.textContent).toBe('admin@example.com');
    expect(byTestId('events-count')?.textContent).toBe('1,234');
    expect(byTestId('events-count')?.getAttribute('data-value')).toBe('1234');
    expect(byTestId('events-count-change')?.textContent).toContain('+23%');
    expect(byTestId('sessions-count-change')?.textContent).toContain('new');
    const overviewCall = calls.find((c) => c.url.startsWith('/api/analytics/overview'));
    expect((overviewCall?.init?.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('refreshes the overview every 5 s', async () => {
    await signIn();
    await settle(10);
    const count = () => calls.filter((c) => c.url.startsWith('/api/analytics/overview')).length;
    const before = count();
    await settle(5000);
    expect(count()).toBe(before + 1);
  });

  it('sends the test event at once and polls the overview after it', async () => {
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
    expect(byTestId('send-status')?.textContent).toContain('Accepted');
    await settle(3000);
    expect(overviews()).toBeGreaterThanOrEqual(before + 3);
  });

  it('goes back to the login form when the API answers 401', async () => {
    await signIn();
    await settle(10);
    routes['GET /api/analytics/overview'] = () => json(401, { error: { code: 'invalid_token', message: 'expired' } });
    await settle(5000);
    expect(container.querySelector('input[name="username"]')).not.toBeNull();
    expect(byTestId('user-name')).toBeNull();
  });

  it('signs out', async () => {
    await signIn();
    await settle(10);
    act(() => {
      byTestId('sign-out')?.click();
    });
    expect(container.querySelector('input[name="username"]')).not.toBeNull();
    expect(localStorage.getItem('analytics.auth')).toBeNull();
  });
});
