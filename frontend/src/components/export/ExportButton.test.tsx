import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnalyticsQuery } from '../../api';
import { ExportButton } from './ExportButton';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

type FetchImpl = (url: URL, init: RequestInit) => Promise<Response>;

const NOW = new Date('2026-03-30T12:00:00Z');
const QUERY: AnalyticsQuery = { from: '2026-03-24', to: '2026-03-30', site: 'shop', filter: ['path:is:/pricing'] };

let root: Root;
let container: HTMLDivElement;
let fetchImpl: FetchImpl;
let requests: { url: URL; init: RequestInit }[];
let clicked: { download: string; href: string; attached: boolean }[];

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function byTestId(id: string): HTMLElement | null {
  return container.querySelector(`[data-testid="${id}"]`);
}

async function settle(ms = 0) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

function render(query: AnalyticsQuery = QUERY) {
  act(() => root.render(<ExportButton query={query} />));
}

function chooseFormat(value: string) {
  const select = byTestId('export-format') as HTMLSelectElement;
  act(() => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

async function download() {
  act(() => byTestId('export-download')?.click());
  await settle(10);
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(NOW);
  localStorage.clear();
  localStorage.setItem('analytics.auth', JSON.stringify({ token: 'tok', expiresAt: NOW.getTime() + 3600_000 }));
  requests = [];
  clicked = [];
  fetchImpl = async () => new Response('{"event":"pageview"}\n', { status: 200 });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(input instanceof Request ? input.url : input.toString(), 'http://localhost');
      requests.push({ url, init });
      return fetchImpl(url, init);
    }),
  );
  vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:http://localhost/export');
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ download: this.download, href: this.href, attached: this.isConnected });
  });
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

describe('ExportButton', () => {
  it('asks for the export with the format, the view and the token, and saves the file', async () => {
    render();
    chooseFormat('csv');
    fetchImpl = async () => new Response('event,site\npageview,shop\n', { status: 200 });
    await download();

    expect(requests).toHaveLength(1);
    const { url, init } = requests[0];
    expect(url.pathname).toBe('/api/analytics/export');
    expect(url.searchParams.get('format')).toBe('csv');
    expect(url.searchParams.get('from')).toBe('2026-03-24');
    expect(url.searchParams.get('to')).toBe('2026-03-30');
    expect(url.searchParams.get('site')).toBe('shop');
    expect(url.searchParams.getAll('filter')).toEqual(['path:is:/pricing']);
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init.signal).toBeInstanceOf(AbortSignal);

    expect(URL.createObjectURL).toHaveBeenCalledTimes(1);
    const blob = vi.mocked(URL.createObjectURL).mock.calls[0][0] as Blob;
    expect(await blob.text()).toBe('event,site\npageview,shop\n');
    expect(clicked).toEqual([{ download: 'events-2026-03-24-2026-03-30.csv', href: 'blob:http://localhost/export', attached: true }]);
    // The temporary link is gone and the object URL freed.
    expect(document.querySelector('a[download]')).toBeNull();
    await settle(10);
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:http://localhost/export');
    expect(byTestId('export-status')?.textContent).toBe('Saved events-2026-03-24-2026-03-30.csv (25 B).');
  });

  it('defaults to NDJSON and names the file after the range', async () => {
    render({ from: '2026-03-01T00:00:00Z', to: '2026-03-30' });
    await download();
    expect(requests[0].url.searchParams.get('format')).toBe('ndjson');
    expect(clicked[0].download).toBe('events-2026-03-01T00-00-00Z-2026-03-30.ndjson');
  });

  it('is busy while the export is prepared and can be cancelled', async () => {
    let signal: AbortSignal | undefined;
    fetchImpl = (_url, init) =>
      new Promise((_resolve, reject) => {
        signal = init.signal ?? undefined;
        signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
      });
    render();
    await download();

    const button = byTestId('export-download') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-busy')).toBe('true');
    expect(button.querySelector('.spinner')).not.toBeNull();
    expect((byTestId('export-format') as HTMLSelectElement).disabled).toBe(true);
    const cancel = byTestId('export-cancel');
    expect(document.activeElement).toBe(cancel);

    act(() => cancel?.click());
    await settle(10);
    expect(signal?.aborted).toBe(true);
    expect(byTestId('export-status')?.textContent).toBe('Export cancelled.');
    expect(byTestId('export-error')).toBeNull();
    expect(byTestId('export-cancel')).toBeNull();
    expect((byTestId('export-download') as HTMLButtonElement).disabled).toBe(false);
    expect(URL.createObjectURL).not.toHaveBeenCalled();
    expect(clicked).toHaveLength(0);
  });

  it('explains a 413 and points to the streaming export URL', async () => {
    fetchImpl = async () =>
      json(413, { error: { code: 'payload_too_large', message: 'the export is larger than 5.5 MB' } });
    render();
    chooseFormat('csv');
    await download();
    const error = byTestId('export-error');
    expect(error?.getAttribute('role')).toBe('alert');
    expect(error?.textContent).toContain('the export is larger than 5.5 MB');
    expect(error?.textContent).toContain('shorter date range or add filters');
    expect(error?.textContent).toContain('AnalyticsStreamUrl');
    const command = byTestId('export-stream-command')?.textContent ?? '';
    expect(command).toContain('/api/analytics/export?');
    expect(command).toContain('format=csv');
    expect(command).toContain('site=shop');
    expect(command).not.toContain('tok');
    expect(URL.createObjectURL).not.toHaveBeenCalled();
    expect((byTestId('export-download') as HTMLButtonElement).disabled).toBe(false);
  });

  it.each([
    [403, { error: { code: 'forbidden', message: 'admin role required' } }, ['Only an admin can export events', 'admin role required']],
    [503, { error: { code: 'query_timeout', message: 'The query took too long.' } }, ['took too long and was stopped', 'The query took too long.', 'shorter date range']],
    [500, { error: { code: 'internal', message: 'ClickHouse is down.' } }, ['The export failed: ClickHouse is down.']],
  ])('shows the API message of a %i', async (status, body, texts) => {
    fetchImpl = async () => json(status, body);
    render();
    await download();
    const text = byTestId('export-error')?.textContent ?? '';
    for (const expected of texts) expect(text).toContain(expected);
    expect(clicked).toHaveLength(0);
  });

  it('shows a network error plainly', async () => {
    fetchImpl = async () => {
      throw new TypeError('Failed to fetch');
    };
    render();
    await download();
    expect(byTestId('export-error')?.textContent).toContain('Could not reach the server');
  });

  it('clears an earlier error on a new attempt', async () => {
    fetchImpl = async () => json(403, { error: { code: 'forbidden', message: 'admin role required' } });
    render();
    await download();
    expect(byTestId('export-error')).not.toBeNull();
    fetchImpl = async () => new Response('x', { status: 200 });
    await download();
    expect(byTestId('export-error')).toBeNull();
    expect(clicked).toHaveLength(1);
  });
});
