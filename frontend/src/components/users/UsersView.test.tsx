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
}
type Handler = (call: Call) => Response;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function apiError(status: number, code: string, message: string, details: unknown[] = []) {
  return json(status, { error: { code, message, details } });
}

const NOW = new Date('2026-03-30T12:00:00Z');
const ADMIN = { username: 'admin', email: 'admin@example.com', role: 'admin', created_at: '2026-01-15T12:00:00Z' };
const BOB = { username: 'bob', email: 'bob@example.com', role: 'viewer', created_at: '2026-03-02T12:00:00Z' };

let root: Root;
let container: HTMLDivElement;
let me: typeof ADMIN;
let users: (typeof ADMIN)[];
let routes: Record<string, Handler>;
let calls: Call[];

function byTestId(id: string, scope: ParentNode = container): HTMLElement | null {
  return scope.querySelector(`[data-testid="${id}"]`);
}

function row(username: string): HTMLElement | null {
  return container.querySelector(`[data-testid="user-row"][data-username="${username}"]`);
}

function detail(username: string): HTMLElement | null {
  return container.querySelector(`[data-testid="user-row-detail"][data-username="${username}"]`);
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

/** Sets an input's or a select's value the way a user does, so React's onChange runs. */
function type(element: Element | null, value: string) {
  expect(element).not.toBeNull();
  const isSelect = element instanceof HTMLSelectElement;
  const proto = isSelect ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  act(() => {
    Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(element, value);
    (element as HTMLElement).dispatchEvent(new Event(isSelect ? 'change' : 'input', { bubbles: true }));
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

function usernames(): string[] {
  return [...container.querySelectorAll('[data-testid="user-row-name"]')].map((n) => n.textContent ?? '');
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(NOW);
  localStorage.clear();
  localStorage.setItem('analytics.auth', JSON.stringify({ token: 'tok', expiresAt: NOW.getTime() + 3600_000 }));
  calls = [];
  me = ADMIN;
  users = [BOB, ADMIN];
  routes = {
    'GET /api/auth/me': () => json(200, me),
    'GET /api/users': () => json(200, { users }),
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input.toString(), 'http://localhost');
      const method = init?.method ?? 'GET';
      const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      const call = { method, path: url.pathname, body };
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

describe('users (admin)', () => {
  it('lists the users by name with e-mail, role and creation day, and marks the signed-in one', async () => {
    await open('/admin/users');
    expect(usernames()).toEqual(['admin', 'bob']);
    expect(byTestId('user-row-email', row('bob') as HTMLElement)?.textContent).toBe('bob@example.com');
    expect((byTestId('user-row-role', row('bob') as HTMLElement) as HTMLSelectElement).value).toBe('viewer');
    expect((byTestId('user-row-role', row('admin') as HTMLElement) as HTMLSelectElement).value).toBe('admin');
    expect(row('bob')?.querySelector('time')?.textContent).toBe('Mar 2, 2026');
    expect(byTestId('user-row-you', row('admin') as HTMLElement)?.textContent).toBe('you');
    expect(byTestId('user-row-you', row('bob') as HTMLElement)).toBeNull();
  });

  it('renders a hostile username as text', async () => {
    users = [ADMIN, { ...BOB, username: '<b>x</b>', email: '<img src=x onerror=alert(1)>' }];
    await open('/admin/users');
    expect(usernames()).toContain('<b>x</b>');
    const table = byTestId('users-table') as HTMLElement;
    expect(table.querySelector('b')).toBeNull();
    expect(table.querySelector('img')).toBeNull();
  });

  it('shows the error with a retry when the list cannot be loaded', async () => {
    routes['GET /api/users'] = () => apiError(500, 'internal', 'internal error; it has been logged');
    await open('/admin/users');
    await settle(5000);
    expect(byTestId('users-error')?.textContent).toContain('internal error; it has been logged');
    expect(byTestId('users-table')).toBeNull();
  });

  it('creates a user with the right JSON, refreshes the list and clears the form', async () => {
    routes['POST /api/users'] = ({ body }) => {
      const created = { ...(body as typeof BOB), created_at: NOW.toISOString() };
      users = [...users, created];
      return json(201, { user: created });
    };
    await open('/admin/users');
    const listsBefore = callsTo('GET', '/api/users').length;
    type(byTestId('create-username'), ' carol ');
    type(byTestId('create-email'), 'carol@example.com');
    type(byTestId('create-password'), 'a long enough secret');
    click(byTestId('create-submit'));
    await settle(10);

    expect(callsTo('POST', '/api/users').map((c) => c.body)).toEqual([
      { username: 'carol', email: 'carol@example.com', password: 'a long enough secret', role: 'viewer' },
    ]);
    expect(callsTo('GET', '/api/users').length).toBe(listsBefore + 1);
    expect(usernames()).toEqual(['admin', 'bob', 'carol']);
    expect(byTestId('create-user-success')?.textContent).toContain('carol');
    expect((byTestId('create-username') as HTMLInputElement).value).toBe('');
    expect((byTestId('create-password') as HTMLInputElement).value).toBe('');
    expect((byTestId('create-role') as HTMLSelectElement).value).toBe('viewer');
  });

  it('sends the chosen role, and refuses an incomplete form without a request', async () => {
    routes['POST /api/users'] = ({ body }) => json(201, { user: { ...(body as typeof BOB), created_at: NOW.toISOString() } });
    await open('/admin/users');
    type(byTestId('create-username'), 'dave');
    click(byTestId('create-submit'));
    await settle(10);
    expect(byTestId('create-user-error')?.textContent).toContain('Fill in');
    expect(callsTo('POST', '/api/users')).toHaveLength(0);

    type(byTestId('create-email'), 'dave@example.com');
    type(byTestId('create-password'), 'a long enough secret');
    type(byTestId('create-role'), 'admin');
    click(byTestId('create-submit'));
    await settle(10);
    expect((callsTo('POST', '/api/users')[0].body as { role: string }).role).toBe('admin');
  });

  it("shows the API's 409 message under the form and keeps what was typed", async () => {
    routes['POST /api/users'] = () => apiError(409, 'username_taken', 'that username is taken');
    await open('/admin/users');
    type(byTestId('create-username'), 'bob');
    type(byTestId('create-email'), 'bob2@example.com');
    type(byTestId('create-password'), 'a long enough secret');
    click(byTestId('create-submit'));
    await settle(10);
    expect(byTestId('create-user-error')?.textContent).toBe('that username is taken');
    expect(byTestId('create-username')?.getAttribute('aria-invalid')).toBe('true');
    expect((byTestId('create-username') as HTMLInputElement).value).toBe('bob');
    expect(byTestId('create-user-success')).toBeNull();
  });

  it("shows a 422's message and its field details", async () => {
    routes['POST /api/users'] = () =>
      apiError(422, 'weak_password', 'passwords must be at least 10 characters', [{ field: 'password', message: 'too short' }]);
    await open('/admin/users');
    type(byTestId('create-username'), 'erin');
    type(byTestId('create-email'), 'erin@example.com');
    type(byTestId('create-password'), 'short');
    click(byTestId('create-submit'));
    await settle(10);
    const error = byTestId('create-user-error');
    expect(error?.querySelector('p')?.textContent).toBe('passwords must be at least 10 characters');
    expect([...(error?.querySelectorAll('li') ?? [])].map((li) => li.textContent)).toEqual(['password: too short']);
    expect(byTestId('create-password')?.getAttribute('aria-invalid')).toBe('true');
  });

  it('changes a role with a PATCH of {role} and refreshes the list', async () => {
    routes['PATCH /api/users/bob'] = ({ body }) => {
      const changed = { ...BOB, ...(body as object) };
      users = [changed, ADMIN];
      return json(200, { user: changed });
    };
    await open('/admin/users');
    const listsBefore = callsTo('GET', '/api/users').length;
    type(byTestId('user-row-role', row('bob') as HTMLElement), 'admin');
    await settle(10);
    expect(callsTo('PATCH', '/api/users/bob').map((c) => c.body)).toEqual([{ role: 'admin' }]);
    expect(callsTo('GET', '/api/users').length).toBe(listsBefore + 1);
    expect((byTestId('user-row-role', row('bob') as HTMLElement) as HTMLSelectElement).value).toBe('admin');
    expect(byTestId('user-row-notice', detail('bob') as HTMLElement)?.textContent).toContain('bob is now admin');
  });

  it("asks before demoting oneself, and shows the API's last-admin refusal next to the row", async () => {
    routes['PATCH /api/users/admin'] = () =>
      apiError(422, 'last_admin', 'this is the last admin: make another user admin first');
    await open('/admin/users');
    type(byTestId('user-row-role', row('admin') as HTMLElement), 'viewer');
    await settle(10);
    // Nothing is sent before the confirmation, which warns about losing this page and the session.
    expect(callsTo('PATCH', '/api/users/admin')).toHaveLength(0);
    const confirm = byTestId('confirm-demote', detail('admin') as HTMLElement);
    expect(confirm?.textContent).toContain('lose access to this page');
    expect(confirm?.textContent).toContain('session ends');

    click(byTestId('confirm-demote-confirm'));
    await settle(10);
    expect(callsTo('PATCH', '/api/users/admin').map((c) => c.body)).toEqual([{ role: 'viewer' }]);
    expect(byTestId('user-row-error', detail('admin') as HTMLElement)?.textContent).toBe(
      'this is the last admin: make another user admin first',
    );
    expect((byTestId('user-row-role', row('admin') as HTMLElement) as HTMLSelectElement).value).toBe('admin');
    expect(container.querySelectorAll('[data-testid="user-row-error"]')).toHaveLength(1);
    // Still signed in.
    expect(localStorage.getItem('analytics.auth')).not.toBeNull();
  });

  it('after demoting oneself, the next request answers 401 and the app signs out', async () => {
    routes['PATCH /api/users/admin'] = () => {
      // The token version is bumped: from now on this session's token is refused.
      routes['GET /api/users'] = () => apiError(401, 'unauthorized', 'the session has ended');
      routes['GET /api/auth/me'] = () => apiError(401, 'unauthorized', 'the session has ended');
      return json(200, { user: { ...ADMIN, role: 'viewer' } });
    };
    users = [BOB, ADMIN, { ...BOB, username: 'zoe', role: 'admin' }];
    await open('/admin/users');
    type(byTestId('user-row-role', row('admin') as HTMLElement), 'viewer');
    click(byTestId('confirm-demote-confirm'));
    await settle(10);
    expect(localStorage.getItem('analytics.auth')).toBeNull();
    await settle(10);
    expect(byTestId('location')?.textContent).toBe('/login');
    expect(byTestId('users-table')).toBeNull();
  });

  it('cancelling the self-demotion sends nothing', async () => {
    await open('/admin/users');
    type(byTestId('user-row-role', row('admin') as HTMLElement), 'viewer');
    click(byTestId('confirm-demote-cancel'));
    await settle(10);
    expect(byTestId('confirm-demote')).toBeNull();
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
  });

  it('changes an e-mail address inline with a PATCH of {email}', async () => {
    routes['PATCH /api/users/bob'] = ({ body }) => {
      const changed = { ...BOB, ...(body as object) };
      users = [changed, ADMIN];
      return json(200, { user: changed });
    };
    await open('/admin/users');
    click(byTestId('user-row-edit-email', row('bob') as HTMLElement));
    type(byTestId('email-input', row('bob') as HTMLElement), 'robert@example.com');
    click(byTestId('email-save', row('bob') as HTMLElement));
    await settle(10);
    expect(callsTo('PATCH', '/api/users/bob').map((c) => c.body)).toEqual([{ email: 'robert@example.com' }]);
    expect(byTestId('email-input')).toBeNull();
    expect(byTestId('user-row-email', row('bob') as HTMLElement)?.textContent).toBe('robert@example.com');
  });

  it("changing one's own e-mail updates the header too (the profile is loaded again)", async () => {
    routes['PATCH /api/users/admin'] = ({ body }) => {
      const changed = { ...ADMIN, ...(body as object) };
      users = [changed, BOB];
      me = changed;
      return json(200, { user: changed });
    };
    await open('/admin/users');
    const before = callsTo('GET', '/api/auth/me').length;
    click(byTestId('user-row-edit-email', row('admin') as HTMLElement));
    type(byTestId('email-input', row('admin') as HTMLElement), 'boss@example.com');
    click(byTestId('email-save', row('admin') as HTMLElement));
    await settle(10);
    await settle(10);
    expect(callsTo('GET', '/api/auth/me').length).toBe(before + 1);
    expect(byTestId('user-email')?.textContent).toBe('boss@example.com');
    // The panel stayed on the page while the profile reloaded.
    expect(byTestId('users-table')).not.toBeNull();
  });

  it('shows an invalid e-mail refusal next to the row and keeps the editor open', async () => {
    routes['PATCH /api/users/bob'] = () => apiError(422, 'invalid_email', 'that is not a valid e-mail address');
    await open('/admin/users');
    click(byTestId('user-row-edit-email', row('bob') as HTMLElement));
    type(byTestId('email-input'), 'nope');
    click(byTestId('email-save'));
    await settle(10);
    expect(byTestId('user-row-error', detail('bob') as HTMLElement)?.textContent).toBe('that is not a valid e-mail address');
    expect(byTestId('email-input')).not.toBeNull();
  });

  it('asks for confirmation naming the user, then DELETEs and refreshes', async () => {
    routes['DELETE /api/users/bob'] = () => {
      users = [ADMIN];
      return new Response(null, { status: 204 });
    };
    await open('/admin/users');
    click(byTestId('user-row-delete', row('bob') as HTMLElement));
    await settle(10);
    expect(callsTo('DELETE', '/api/users/bob')).toHaveLength(0);
    const confirm = byTestId('confirm-delete', detail('bob') as HTMLElement);
    expect(confirm?.textContent).toContain('Delete the user bob?');
    expect(byTestId('confirm-delete-self')).toBeNull();

    click(byTestId('confirm-delete-confirm'));
    await settle(10);
    expect(callsTo('DELETE', '/api/users/bob')).toHaveLength(1);
    expect(usernames()).toEqual(['admin']);
  });

  it("warns when deleting oneself and shows the API's last-admin refusal", async () => {
    routes['DELETE /api/users/admin'] = () =>
      apiError(403, 'last_admin', 'nobody deletes the last admin: make another user admin first');
    await open('/admin/users');
    click(byTestId('user-row-delete', row('admin') as HTMLElement));
    expect(byTestId('confirm-delete-self')?.textContent).toContain('your own account');
    click(byTestId('confirm-delete-confirm'));
    await settle(10);
    expect(callsTo('DELETE', '/api/users/admin')).toHaveLength(1);
    expect(byTestId('user-row-error', detail('admin') as HTMLElement)?.textContent).toBe(
      'nobody deletes the last admin: make another user admin first',
    );
    expect(usernames()).toEqual(['admin', 'bob']);
    expect(localStorage.getItem('analytics.auth')).not.toBeNull();
  });

  it('does not send a password typed differently twice; sends {password} once both match', async () => {
    routes['PATCH /api/users/bob'] = () => json(200, { user: BOB });
    await open('/admin/users');
    click(byTestId('user-row-password', row('bob') as HTMLElement));
    const form = byTestId('password-form', detail('bob') as HTMLElement) as HTMLElement;
    expect(form.textContent).toContain('bob is signed out everywhere');
    type(byTestId('password-new', form), 'a long enough secret');
    type(byTestId('password-repeat', form), 'a long enough secreT');
    click(byTestId('password-save', form));
    await settle(10);
    expect(byTestId('password-problem')?.textContent).toBe('The two passwords do not match.');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);

    type(byTestId('password-repeat', form), 'a long enough secret');
    click(byTestId('password-save', form));
    await settle(10);
    expect(callsTo('PATCH', '/api/users/bob').map((c) => c.body)).toEqual([{ password: 'a long enough secret' }]);
    expect(byTestId('password-form')).toBeNull();
    expect(byTestId('user-row-notice', detail('bob') as HTMLElement)?.textContent).toContain('Password of bob set');
  });

  it('warns that setting your own password ends your session', async () => {
    await open('/admin/users');
    click(byTestId('user-row-password', row('admin') as HTMLElement));
    expect(byTestId('password-form')?.textContent).toContain('ends your session');
  });

  it('shows a weak-password refusal next to the row', async () => {
    routes['PATCH /api/users/bob'] = () => apiError(422, 'weak_password', 'that password is too common; choose another');
    await open('/admin/users');
    click(byTestId('user-row-password', row('bob') as HTMLElement));
    type(byTestId('password-new'), 'password123');
    type(byTestId('password-repeat'), 'password123');
    click(byTestId('password-save'));
    await settle(10);
    expect(byTestId('user-row-error', detail('bob') as HTMLElement)?.textContent).toBe(
      'that password is too common; choose another',
    );
    expect(byTestId('password-form')).not.toBeNull();
  });
});

describe('users (viewer)', () => {
  it('shows the admin-only notice, no table, no Users link, and never asks for the list', async () => {
    me = { ...BOB };
    await open('/admin/users');
    expect(byTestId('admin-only')).not.toBeNull();
    expect(byTestId('users-table')).toBeNull();
    expect(byTestId('nav-users')).toBeNull();
    expect(byTestId('nav-account')).not.toBeNull();
    expect(callsTo('GET', '/api/users')).toHaveLength(0);
  });
});
