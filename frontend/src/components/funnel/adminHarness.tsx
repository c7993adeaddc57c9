// Test support for the funnel and retention views (imported by their *.test.tsx only): renders <App/> in a
// MemoryRouter as a signed-in admin, with fetch stubbed per route and fake timers, as AdminAnalytics.test does.
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { App } from '../../App';
// Loaded up front, so that the App's lazy import of the admin panel resolves at once.
import '../AdminPage';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

export type Handler = (url: URL) => Response;

export const NOW = new Date('2026-03-30T12:00:00Z');

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const METRICS = { visits: 1, pageviews: 1, events: 1, bounce_rate: 0, visit_duration: 0 };

/** The state of one test: its routes (change them before `open`), the requests made, the rendered page. */
export const harness = {
  container: null as unknown as HTMLDivElement,
  root: null as unknown as Root,
  routes: {} as Record<string, Handler>,
  calls: [] as URL[],
  /** Breakdown rows by dimension, offered as suggestions. */
  suggestions: {} as Record<string, string[]>,
};

export function byTestId(id: string, scope: ParentNode = harness.container): HTMLElement | null {
  return scope.querySelector(`[data-testid="${id}"]`);
}

export function allByTestId(id: string, scope: ParentNode = harness.container): HTMLElement[] {
  return [...scope.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

export async function settle(ms = 0): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

export function click(element: Element | null | undefined): void {
  expect(element).toBeTruthy();
  act(() => {
    (element as HTMLElement).click();
  });
}

/** Sets a text input's or a select's value the way a user does (React sees the native input/change event). */
export function enter(element: Element | null | undefined, value: string): void {
  expect(element).toBeTruthy();
  const target = element as HTMLInputElement | HTMLSelectElement;
  const proto = target instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  act(() => {
    Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(target, value);
    target.dispatchEvent(new Event(target instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}

/** The current location (path and query) of the MemoryRouter. */
export function location(): URL {
  return new URL(byTestId('location')?.textContent ?? '', 'http://localhost');
}

export function callsTo(route: string): URL[] {
  return harness.calls.filter((u) => u.pathname === `/api/analytics/${route}`);
}

function Location() {
  const current = useLocation();
  return <span data-testid="location">{current.pathname + current.search}</span>;
}

let opened = 0;

/** Renders the app at `path`; a second call in a test starts a new page (a fresh router and cache). */
export async function open(path: string): Promise<void> {
  opened += 1;
  act(() =>
    harness.root.render(
      <MemoryRouter key={opened} initialEntries={[path]}>
        <App />
        <Location />
      </MemoryRouter>,
    ),
  );
  await settle(10);
  await settle(10);
}

/** Registers the set-up and tear-down of every test in the calling file. */
export function setupAdminHarness(): void {
  beforeEach(() => {
    globalThis.IS_REACT_ACT_ENVIRONMENT = true;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(NOW);
    localStorage.clear();
    localStorage.setItem('analytics.auth', JSON.stringify({ token: 'tok', expiresAt: NOW.getTime() + 3600_000 }));
    harness.calls = [];
    harness.suggestions = { event: ['pageview', 'signup'], path: ['/', '/pricing'] };
    harness.routes = {
      '/api/auth/me': () =>
        json(200, { username: 'admin', email: 'admin@example.com', role: 'admin', created_at: '2026-01-01T00:00:00Z' }),
      '/api/analytics/sites': () => json(200, { sites: [] }),
      '/api/analytics/breakdown': (url) => {
        const dimension = url.searchParams.get('dimension') ?? '';
        const rows = (harness.suggestions[dimension] ?? []).map((value, i) => ({ ...METRICS, value, visitors: 10 - i }));
        return json(200, { dimension, rows, total_visitors: 10 });
      },
    };
    vi.stubGlobal(
      'fetch',
      vi.fn((input: RequestInfo | URL) => {
        const url = new URL(input instanceof Request ? input.url : input.toString(), 'http://localhost');
        harness.calls.push(url);
        const handler = harness.routes[url.pathname];
        return Promise.resolve(handler ? handler(url) : json(404, { error: { code: 'not_found', message: 'nope' } }));
      }),
    );
    harness.container = document.createElement('div');
    document.body.appendChild(harness.container);
    harness.root = createRoot(harness.container);
  });

  afterEach(() => {
    act(() => harness.root.unmount());
    harness.container.remove();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });
}
