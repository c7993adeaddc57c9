import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, buildQuery, getToken, isSignedIn, login, logout, me, onAuthChange, overview } from './api';

type FetchArgs = [RequestInfo | URL, RequestInit | undefined];

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

let fetchMock: ReturnType<typeof vi.fn<(...args: FetchArgs) => Promise<Response>>>;

beforeEach(() => {
  localStorage.clear();
  fetchMock = vi.fn<(...args: FetchArgs) => Promise<Response>>();
  vi.stubGlobal('fetch', fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const loginAnswer = {
  access_token: 'tok-123',
  token_type: 'Bearer',
  expires_in: 3600,
  user: { username: 'admin', email: 'admin@example.com', role: 'admin' },
};

describe('login', () => {
  it('POSTs the credentials and stores the token', async () => {
    const changes = vi.fn();
    const off = onAuthChange(changes);
    fetchMock.mockResolvedValueOnce(jsonResponse(200, loginAnswer));
    const answer = await login('admin', 'admin');
    off();
    expect(answer.user.email).toBe('admin@example.com');
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/auth/login');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(init?.body as string)).toEqual({ username: 'admin', password: 'admin' });
    expect((init?.headers as Record<string, string>).Authorization).toBeUndefined();
    expect(getToken()).toBe('tok-123');
    expect(isSignedIn()).toBe(true);
    expect(changes).toHaveBeenCalledTimes(1);
  });

  it('turns the API error shape into an ApiError', async () => {
    fetchMock.mockResolvedValueOnce(
      jsonResponse(401, { error: { code: 'invalid_credentials', message: 'Wrong username or password', details: [] } }),
    );
    const error = await login('admin', 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_credentials', message: 'Wrong username or password' });
    expect(isSignedIn()).toBe(false);
  });

  it('reads Retry-After on 429', async () => {
    fetchMock.mockResolvedValueOnce(
      jsonResponse(429, { error: { code: 'too_many_attempts', message: 'Too many attempts' } }, { 'Retry-After': '30' }),
    );
    await expect(login('admin', 'x')).rejects.toMatchObject({ status: 429, retryAfter: 30 });
  });

  it('copes with bodies that are not the error shape', async () => {
    fetchMock.mockResolvedValueOnce(new Response('<html>Bad gateway</html>', { status: 502 }));
    await expect(login('a', 'b')).rejects.toMatchObject({ status: 502, code: 'http_502' });
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await expect(login('a', 'b')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});

describe('authenticated calls', () => {
  beforeEach(async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, loginAnswer));
    await login('admin', 'admin');
    fetchMock.mockClear();
  });

  it('sends the bearer token', async () => {
    fetchMock.mockResolvedValueOnce(
      jsonResponse(200, { username: 'admin', email: 'admin@example.com', role: 'admin', created_at: '2026-01-01T00:00:00Z' }),
    );
    const user = await me();
    expect(user.username).toBe('admin');
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/auth/me');
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer tok-123');
  });

  it('signs out on a 401', async () => {
    const changes = vi.fn();
    const off = onAuthChange(changes);
    fetchMock.mockResolvedValueOnce(jsonResponse(401, { error: { code: 'invalid_token', message: 'Token expired' } }));
    await expect(me()).rejects.toMatchObject({ status: 401 });
    off();
    expect(isSignedIn()).toBe(false);
    expect(changes).toHaveBeenCalled();
  });

  it('keeps the session on a 403 or 500', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(403, { error: { code: 'forbidden', message: 'Admins only' } }));
    await expect(me()).rejects.toMatchObject({ status: 403, message: 'Admins only' });
    fetchMock.mockResolvedValueOnce(jsonResponse(500, { error: { code: 'internal', message: 'boom' } }));
    await expect(overview()).rejects.toMatchObject({ status: 500 });
    expect(isSignedIn()).toBe(true);
  });

  it('asks for the overview with the query', async () => {
    const body = {
      visitors: 1,
      visits: 2,
      pageviews: 2,
      events: 3,
      views_per_visit: 1,
      bounce_rate: 0.5,
      visit_duration: 12.5,
      approximate: false,
      from: '2026-03-24T00:00:00+01:00',
      to: '2026-03-30T23:59:59.999+02:00',
      compare: null,
    };
    fetchMock.mockResolvedValueOnce(jsonResponse(200, body));
    const answer = await overview({ site: 'shop', tz: 'Europe/Paris', compare: 'none', props: { plan: 'pro' } });
    expect(answer).toEqual(body);
    expect(answer.compare).toBeNull();
    expect(fetchMock.mock.calls[0][0]).toBe(
      '/api/analytics/overview?site=shop&tz=Europe%2FParis&compare=none&prop.plan=pro',
    );
  });

  it('reads the compared period of the overview', async () => {
    const period = { visitors: 4, visits: 5, pageviews: 9, events: 12, views_per_visit: 1.8, bounce_rate: 0.2, visit_duration: 65 };
    const body = {
      ...period,
      approximate: false,
      from: '2026-03-24T00:00:00Z',
      to: '2026-03-30T23:59:59Z',
      compare: { ...period, visits: 4, from: '2026-03-17T00:00:00Z', to: '2026-03-23T23:59:59Z' },
    };
    fetchMock.mockResolvedValueOnce(jsonResponse(200, body));
    const answer = await overview();
    expect(fetchMock.mock.calls[0][0]).toBe('/api/analytics/overview');
    expect(answer.visits).toBe(5);
    expect(answer.compare).toMatchObject({ visits: 4, bounce_rate: 0.2, from: '2026-03-17T00:00:00Z' });
  });

  it('does not call the API once signed out', async () => {
    logout();
    await expect(me()).rejects.toMatchObject({ status: 401 });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('tokens', () => {
  it('treats an expired token as signed out', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { ...loginAnswer, expires_in: 60 }));
    await login('admin', 'admin');
    expect(getToken(Date.now() + 61_000)).toBeNull();
    expect(getToken()).toBe('tok-123');
  });
});

describe('buildQuery', () => {
  it('leaves out empty values', () => {
    expect(buildQuery({})).toBe('');
    expect(buildQuery({ from: '2026-01-01', to: undefined, site: '' })).toBe('?from=2026-01-01');
  });
});
