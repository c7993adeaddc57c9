import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../App';
import '../AdminPage';
import '../LoginPage';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

interface Call {
  method: string;
  path: string;
  body: unknown;
  authorization: string | null;
}
type Handler = (call: Call) => Response;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function apiError(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return json(status, { error: { code, message, details: [] } }, headers);
}

const NOW = new Date('2026-03-30T12:00:00Z');
const ME = { username: 'viv', email: 'viv@example.com', role: 'viewer', created_at: '2026-02-10T12:00:00Z' };
const NEW_PASSWORD = 'correct horse battery';

let root: Root;
let container: HTMLDivElement;
let routes: Record<string, Handler>;
let calls: Call[];

function byTestId(id: string): HTMLElement | null {
  return container.querySelector(`[data-testid="${id}"]`);
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

function type(element: Element | null, value: string) {
  expect(element).not.toBeNull();
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(element, value);
    (element as HTMLElement).dispatchEvent(new Event('input', { bubbles: true }));
  });
}

function Location() {
  const location = useLocation();
  return <span data-testid="location">{location.pathname}</span>;
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

function callsTo(method: string, path: string): Call[] {
  return calls.filter((c) => c.method === method && c.path === path);
}

function storedToken(): string | null {
  const raw = localStorage.getItem('analytics.auth');
  return raw ? (JSON.parse(raw) as { token: string }).token : null;
}

async function submitPasswords(current: string, next: string, repeat = next) {
  type(byTestId('account-current'), current);
  type(byTestId('account-new'), next);
  type(byTestId('account-repeat'), repeat);
  click(byTestId('account-password-submit'));
  await settle(10);
  await settle(10);
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(NOW);
  localStorage.clear();
  localStorage.setItem('analytics.auth', JSON.stringify({ token: 'old-token', expiresAt: NOW.getTime() + 3600_000 }));
  calls = [];
  routes = {
    'GET /api/auth/me': () => json(200, ME),
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input.toString(), 'http://localhost');
      const method = init?.method ?? 'GET';
      const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      const headers = (init?.headers ?? {}) as Record<string, string>;
      const call = { method, path: url.pathname, body, authorization: headers.Authorization ?? null };
      calls.push(call);
      const handler = routes[`${method} ${url.pathname}`];
      return handler ? handler(call) : apiError(404, 'not_found', 'nope');
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

describe('account', () => {
  it('shows the username, e-mail, role and member-since day', async () => {
    await open('/admin/account');
    expect(byTestId('account-username')?.textContent).toBe('viv');
    expect(byTestId('account-email')?.textContent).toBe('viv@example.com');
    expect(byTestId('account-role')?.textContent).toBe('viewer');
    expect(byTestId('account-created')?.textContent).toBe('Feb 10, 2026');
    expect(byTestId('account-created')?.getAttribute('datetime')).toBe('2026-02-10T12:00:00Z');
  });

  it('renders a hostile username as text', async () => {
    routes['GET /api/auth/me'] = () => json(200, { ...ME, username: '<b>x</b>' });
    await open('/admin/account');
    expect(byTestId('account-username')?.textContent).toBe('<b>x</b>');
    expect(byTestId('account-profile')?.querySelector('b')).toBeNull();
  });

  it('does not send new passwords that differ, nor an empty form', async () => {
    await open('/admin/account');
    click(byTestId('account-password-submit'));
    await settle(10);
    expect(byTestId('account-password-error')?.textContent).toBe('Type your current password.');
    await submitPasswords('old password', NEW_PASSWORD, `${NEW_PASSWORD}!`);
    expect(byTestId('account-password-error')?.textContent).toBe('The two new passwords do not match.');
    expect(callsTo('POST', '/api/auth/password')).toHaveLength(0);
  });

  it('says the current password is wrong and does not sign out', async () => {
    routes['POST /api/auth/password'] = () => apiError(401, 'invalid_credentials', 'wrong username or password');
    await open('/admin/account');
    await submitPasswords('not it', NEW_PASSWORD);
    expect(callsTo('POST', '/api/auth/password').map((c) => c.body)).toEqual([
      { current_password: 'not it', new_password: NEW_PASSWORD },
    ]);
    expect(byTestId('account-password-error')?.textContent).toBe('The current password is wrong.');
    expect(byTestId('account-current')?.getAttribute('aria-invalid')).toBe('true');
    expect(storedToken()).toBe('old-token');
    expect(byTestId('location')?.textContent).toBe('/admin/account');
    expect(byTestId('admin')).not.toBeNull();
    expect(callsTo('POST', '/api/auth/login')).toHaveLength(0);
  });

  it('signs in again with the new password after the change, and says so', async () => {
    routes['POST /api/auth/password'] = () => new Response(null, { status: 204 });
    routes['POST /api/auth/login'] = () =>
      json(200, {
        access_token: 'new-token',
        token_type: 'Bearer',
        expires_in: 3600,
        user: { username: ME.username, email: ME.email, role: ME.role },
      });
    await open('/admin/account');
    await submitPasswords('old password', NEW_PASSWORD);
    await settle(10);

    expect(callsTo('POST', '/api/auth/password')).toHaveLength(1);
    expect(callsTo('POST', '/api/auth/login').map((c) => c.body)).toEqual([{ username: 'viv', password: NEW_PASSWORD }]);
    expect(storedToken()).toBe('new-token');
    // The profile is reloaded with the new token, and the view still says what happened.
    expect(callsTo('GET', '/api/auth/me').at(-1)?.authorization).toBe('Bearer new-token');
    expect(byTestId('location')?.textContent).toBe('/admin/account');
    expect(byTestId('account-notice')?.textContent).toContain('Your password has been changed');
    expect((byTestId('account-current') as HTMLInputElement).value).toBe('');

    click(byTestId('account-notice')?.querySelector('button') ?? null);
    await settle(10);
    expect(byTestId('account-notice')).toBeNull();
  });

  it('asks to sign in again when signing in with the new password fails', async () => {
    routes['POST /api/auth/password'] = () => new Response(null, { status: 204 });
    routes['POST /api/auth/login'] = () => apiError(503, 'unavailable', 'the user store is unavailable');
    await open('/admin/account');
    await submitPasswords('old password', NEW_PASSWORD);
    const failed = byTestId('account-relogin-failed');
    expect(failed?.textContent).toContain('the user store is unavailable');
    expect(failed?.textContent).toContain('sign in again with the new password');
    expect(byTestId('account-notice')).toBeNull();
  });

  it("shows a weak-password refusal with the API's message", async () => {
    routes['POST /api/auth/password'] = () => apiError(422, 'weak_password', 'passwords must be at least 10 characters');
    await open('/admin/account');
    await submitPasswords('old password', 'short');
    expect(byTestId('account-password-error')?.textContent).toBe('passwords must be at least 10 characters');
    expect(byTestId('account-new')?.getAttribute('aria-invalid')).toBe('true');
    expect(storedToken()).toBe('old-token');
  });

  it('shows a 429 with how long to wait', async () => {
    routes['POST /api/auth/password'] = () =>
      apiError(429, 'too_many_attempts', 'too many failed sign-ins; try again later', { 'Retry-After': '42' });
    await open('/admin/account');
    await submitPasswords('guess', NEW_PASSWORD);
    expect(byTestId('account-password-error')?.textContent).toBe(
      'too many failed sign-ins; try again later (try again in 42 s)',
    );
  });

  it('signs out when the session itself has ended', async () => {
    routes['POST /api/auth/password'] = () => apiError(401, 'unauthorized', 'the token is no longer valid');
    await open('/admin/account');
    await submitPasswords('old password', NEW_PASSWORD);
    expect(storedToken()).toBeNull();
    expect(byTestId('location')?.textContent).toBe('/login');
  });
});
