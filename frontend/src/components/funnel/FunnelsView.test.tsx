import { describe, expect, it } from 'vitest';
import {
  allByTestId,
  byTestId,
  callsTo,
  click,
  enter,
  harness,
  json,
  location,
  open,
  settle,
  setupAdminHarness,
} from './adminHarness';

setupAdminHarness();

const ANSWER = {
  steps: [
    { step: 'pageview', visitors: 200, conversion: 1, dropoff: 0, median_seconds_from_previous: null },
    { step: 'path:/pricing', visitors: 100, conversion: 0.5, dropoff: 0.5, median_seconds_from_previous: 65 },
    { step: 'purchase', visitors: 25, conversion: 0.125, dropoff: 0.75, median_seconds_from_previous: 3725 },
  ],
};

function stepValues(): string[] {
  return allByTestId('step-value').map((input) => (input as HTMLInputElement).value);
}

function stepKinds(): string[] {
  return allByTestId('step-kind').map((select) => (select as HTMLSelectElement).value);
}

function tableRows(): string[][] {
  const rows = byTestId('funnel-table')?.querySelectorAll('tbody tr') ?? [];
  return [...rows].map((tr) => [...tr.children].map((cell) => cell.textContent ?? ''));
}

describe('funnels', () => {
  it('starts with two empty steps and a hint, asks for no funnel, and suggests names from the data', async () => {
    await open('/admin/funnels');
    expect(byTestId('funnel-builder')).not.toBeNull();
    expect(container().querySelector('h1')?.textContent).toBe('Funnels');
    expect(stepValues()).toEqual(['', '']);
    expect(byTestId('funnel-hint')?.textContent).toContain('Add at least two steps');
    expect(callsTo('funnel')).toHaveLength(0);

    const suggestions = callsTo('breakdown');
    expect(suggestions.map((u) => u.searchParams.get('dimension')).sort()).toEqual(['event', 'path']);
    for (const url of suggestions) expect(url.searchParams.get('limit')).toBe('50');
    const lists = [...container().querySelectorAll('datalist')].map((list) =>
      [...list.querySelectorAll('option')].map((o) => o.value),
    );
    expect(lists).toEqual([
      ['pageview', 'signup'],
      ['/', '/pricing'],
    ]);
    // Each input is tied to the list of its kind.
    const [first] = allByTestId('step-value');
    expect(document.getElementById(first.getAttribute('list') ?? '')?.querySelector('option')?.value).toBe('pageview');
  });

  it('writes the steps and window to the URL, keeping the view, and asks with them and the common parameters', async () => {
    harness.routes['/api/analytics/funnel'] = () => json(200, ANSWER);
    await open('/admin/funnels?range=30d&filter=country:is:DE&site=shop');
    const [first, second] = allByTestId('step-value');
    enter(first, ' signup ');
    enter(allByTestId('step-kind')[1], 'path');
    enter(second, '/pricing');
    enter(byTestId('funnel-window'), '604800');
    expect(callsTo('funnel')).toHaveLength(0);
    click(byTestId('funnel-apply'));
    await settle(10);

    const url = location();
    expect(url.pathname).toBe('/admin/funnels');
    expect(url.searchParams.get('steps')).toBe('signup,path:/pricing');
    expect(url.searchParams.get('window')).toBe('604800');
    expect(url.searchParams.get('range')).toBe('30d');
    expect(url.searchParams.getAll('filter')).toEqual(['country:is:DE']);
    expect(url.searchParams.get('site')).toBe('shop');

    const calls = callsTo('funnel');
    expect(calls).toHaveLength(1);
    expect(calls[0].searchParams.get('steps')).toBe('signup,path:/pricing');
    expect(calls[0].searchParams.get('window')).toBe('604800');
    expect(calls[0].searchParams.get('from')).toBe('2026-03-01');
    expect(calls[0].searchParams.get('to')).toBe('2026-03-30');
    expect(calls[0].searchParams.getAll('filter')).toEqual(['country:is:DE']);
    expect(calls[0].searchParams.get('site')).toBe('shop');
    expect(byTestId('funnel-chart')).not.toBeNull();
  });

  it('refuses to apply empty or malformed steps, and asks nothing', async () => {
    await open('/admin/funnels');
    enter(allByTestId('step-value')[0], 'signup');
    click(byTestId('funnel-apply'));
    await settle(10);
    const errors = allByTestId('step-error');
    expect(errors.map((e) => e.textContent)).toEqual(['Enter an event name.']);
    const second = allByTestId('step-value')[1];
    expect(second.getAttribute('aria-invalid')).toBe('true');
    expect(second.getAttribute('aria-describedby')).toBe(errors[0].id);
    expect(document.activeElement).toBe(second);

    enter(allByTestId('step-kind')[1], 'path');
    enter(second, 'pricing');
    click(byTestId('funnel-apply'));
    await settle(10);
    expect(byTestId('step-error')?.textContent).toBe('A page path starts with /.');
    expect(location().search).toBe('');
    expect(callsTo('funnel')).toHaveLength(0);
  });

  it('asks nothing for a link with fewer than two steps or a step that cannot be one', async () => {
    await open('/admin/funnels?steps=signup&window=3600');
    expect(stepValues()).toEqual(['signup', '']);
    expect(byTestId('funnel-hint')?.textContent).toContain('Add at least two steps');
    await open('/admin/funnels?steps=signup,path:pricing');
    expect(byTestId('funnel-hint')?.textContent).toBe('Step 2 cannot be used: A page path starts with /.');
    expect(callsTo('funnel')).toHaveLength(0);
  });

  it('reads a shared funnel into the builder and draws its answer as bars and a table', async () => {
    harness.routes['/api/analytics/funnel'] = () => json(200, ANSWER);
    await open('/admin/funnels?steps=pageview,path:/pricing,purchase&window=3600');
    expect(stepValues()).toEqual(['pageview', '/pricing', 'purchase']);
    expect(stepKinds()).toEqual(['event', 'path', 'event']);
    expect((byTestId('funnel-window') as HTMLSelectElement).value).toBe('3600');
    expect(callsTo('funnel')[0].searchParams.get('steps')).toBe('pageview,path:/pricing,purchase');

    const bars = allByTestId('funnel-bar');
    expect(bars.map((b) => (b.querySelector('.funnel-bar-fill') as HTMLElement).style.height)).toEqual([
      '100%',
      '50%',
      '12.5%',
    ]);
    expect(bars.map((b) => b.querySelector('strong')?.textContent)).toEqual(['100%', '50%', '13%']);
    expect(allByTestId('funnel-dropoff').map((d) => d.textContent)).toEqual(['−50% (100)', '−75% (75)']);

    expect(tableRows()).toEqual([
      ['1. Event pageview', '200', '100%', '–', '–'],
      ['2. Page /pricing', '100', '50%', '50% (100)', '1m 05s'],
      ['3. Event purchase', '25', '13%', '75% (75)', '1h 02m'],
    ]);
  });

  it('shows the empty state when nobody did the first step', async () => {
    harness.routes['/api/analytics/funnel'] = () =>
      json(200, { steps: ANSWER.steps.map((s) => ({ ...s, visitors: 0, conversion: 0, dropoff: 0 })) });
    await open('/admin/funnels?steps=pageview,purchase');
    expect(byTestId('funnel-empty')?.textContent).toBe('No data for this range');
    expect(byTestId('funnel-chart')).toBeNull();
  });

  it("shows the API's message when it refuses a step", async () => {
    harness.routes['/api/analytics/funnel'] = () =>
      json(400, { error: { code: 'invalid_parameter', message: 'steps: step 2 is not a known event' } });
    await open('/admin/funnels?steps=pageview,nosuchevent');
    await settle(1000);
    expect(byTestId('funnel-error')?.textContent).toContain('steps: step 2 is not a known event');
    // A 400 is the request's fault: not retried.
    expect(callsTo('funnel')).toHaveLength(1);
  });

  it('adds, moves and removes steps, and applies them in their new order', async () => {
    harness.routes['/api/analytics/funnel'] = () => json(200, ANSWER);
    await open('/admin/funnels?steps=a,b');
    expect(allByTestId('step-remove').every((b) => (b as HTMLButtonElement).disabled)).toBe(true);
    click(byTestId('step-add'));
    expect(document.activeElement).toBe(allByTestId('step-value')[2]);
    enter(allByTestId('step-value')[2], 'c');
    click(container().querySelector('[aria-label="Move step 3 up"]'));
    expect(stepValues()).toEqual(['a', 'c', 'b']);
    // The focus follows the moved step's arrow.
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Move step 2 up');
    click(container().querySelector('[aria-label="Move step 1 down"]'));
    expect(stepValues()).toEqual(['c', 'a', 'b']);
    click(container().querySelector('[aria-label="Remove step 2"]'));
    expect(stepValues()).toEqual(['c', 'b']);
    expect(byTestId('funnel-builder')?.textContent).toContain('Changes not shown yet');
    click(byTestId('funnel-apply'));
    await settle(10);
    expect(location().searchParams.get('steps')).toBe('c,b');
    expect(callsTo('funnel').at(-1)?.searchParams.get('steps')).toBe('c,b');
    expect(byTestId('funnel-builder')?.textContent).not.toContain('Changes not shown yet');
  });

  it('offers no more than ten steps', async () => {
    await open('/admin/funnels?steps=a,b,c,d,e,f,g,h,i');
    expect((byTestId('step-add') as HTMLButtonElement).disabled).toBe(false);
    click(byTestId('step-add'));
    expect(stepValues()).toHaveLength(10);
    expect((byTestId('step-add') as HTMLButtonElement).disabled).toBe(true);
  });

  it('renders attacker-controlled step names as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    harness.suggestions.event = [evil];
    harness.routes['/api/analytics/funnel'] = () =>
      json(200, {
        steps: [
          { step: '<script>alert(1)</script>', visitors: 2, conversion: 1, dropoff: 0, median_seconds_from_previous: null },
          { step: `path:${evil}`, visitors: 1, conversion: 0.5, dropoff: 0.5, median_seconds_from_previous: 5 },
        ],
      });
    await open('/admin/funnels?steps=pageview,signup');
    expect(tableRows().map((row) => row[0])).toEqual(['1. Event <script>alert(1)</script>', `2. Page ${evil}`]);
    expect(container().querySelector('datalist option')?.getAttribute('value')).toBe(evil);

    // A link with markup in a step: shown in the builder as typed, refused before asking.
    await open(`/admin/funnels?steps=${encodeURIComponent(`${evil},signup`)}`);
    expect(stepValues()[0]).toBe(evil);
    expect(byTestId('funnel-hint')?.textContent).toContain('Step 1 cannot be used');
    expect(container().querySelector('script, img')).toBeNull();
    expect(callsTo('funnel')).toHaveLength(1);
  });

  it('asks again on the Refresh button, and never on a timer', async () => {
    harness.routes['/api/analytics/funnel'] = () => json(200, ANSWER);
    await open('/admin/funnels?steps=signup,purchase');
    expect(callsTo('funnel')).toHaveLength(1);
    await settle(120_000);
    expect(callsTo('funnel')).toHaveLength(1);
    click(byTestId('funnel-refresh'));
    await settle(10);
    expect(callsTo('funnel')).toHaveLength(2);
  });
});

function container(): HTMLDivElement {
  return harness.container;
}
