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
} from '../funnel/adminHarness';

setupAdminHarness();

const COHORTS = [
  { start: '2026-03-02', size: 10, retained: [10, 4, 2] },
  { start: '2026-03-09', size: 30, retained: [30, 6] },
  { start: '2026-03-16', size: 20, retained: [20] },
];

function rowCells(row: Element | null | undefined): string[] {
  return [...(row?.querySelectorAll('td.retention-cell') ?? [])].map(
    (td) => td.querySelector('.retention-share')?.textContent ?? td.textContent ?? '',
  );
}

describe('retention', () => {
  it('asks with the defaults and the common parameters', async () => {
    harness.routes['/api/analytics/retention'] = () => json(200, { cohorts: COHORTS });
    await open('/admin/retention?range=30d&filter=country:is:DE');
    expect(harness.container.querySelector('h1')?.textContent).toBe('Retention');
    const [call] = callsTo('retention');
    expect(call.searchParams.get('start_event')).toBe('pageview');
    expect(call.searchParams.get('return_event')).toBe('pageview');
    expect(call.searchParams.get('period')).toBe('week');
    expect(call.searchParams.get('periods')).toBe('8');
    expect(call.searchParams.get('from')).toBe('2026-03-01');
    expect(call.searchParams.get('to')).toBe('2026-03-30');
    expect(call.searchParams.getAll('filter')).toEqual(['country:is:DE']);
    // Event suggestions come from the events breakdown.
    const [suggest] = callsTo('breakdown');
    expect(suggest.searchParams.get('dimension')).toBe('event');
    expect([...harness.container.querySelectorAll('datalist option')].map((o) => o.getAttribute('value'))).toEqual([
      'pageview',
      'signup',
    ]);
  });

  it('passes the settings of a shared link to the request and the controls', async () => {
    harness.routes['/api/analytics/retention'] = () => json(200, { cohorts: COHORTS });
    await open('/admin/retention?start_event=signup&return_event=purchase&period=month&periods=40&site=shop');
    const [call] = callsTo('retention');
    expect(call.searchParams.get('start_event')).toBe('signup');
    expect(call.searchParams.get('return_event')).toBe('purchase');
    expect(call.searchParams.get('period')).toBe('month');
    expect(call.searchParams.get('periods')).toBe('12');
    expect(call.searchParams.get('site')).toBe('shop');
    expect((byTestId('retention-start') as HTMLInputElement).value).toBe('signup');
    expect((byTestId('retention-period') as HTMLSelectElement).value).toBe('month');
  });

  it('draws the cohort grid: shares, blanks for periods not begun, and the weighted average on top', async () => {
    harness.routes['/api/analytics/retention'] = () => json(200, { cohorts: COHORTS });
    await open('/admin/retention?periods=3');
    const grid = byTestId('retention-grid') as HTMLElement;
    const heads = [...grid.querySelectorAll('thead th')].map((th) => th.textContent);
    expect(heads).toEqual(['Cohort', 'Visitors', 'Week 0', 'Week 1', 'Week 2']);

    const rows = allByTestId('retention-row');
    expect(rows.map((r) => r.querySelector('th')?.textContent)).toEqual(['Mar 2, 2026', 'Mar 9, 2026', 'Mar 16, 2026']);
    expect(rowCells(rows[0])).toEqual(['100%', '40%', '20%']);
    expect(rowCells(rows[1])).toEqual(['100%', '20%', '']);
    expect(rowCells(rows[2])).toEqual(['100%', '', '']);
    expect(allByTestId('retention-cell-blank', rows[2])).toHaveLength(2);
    const cell = rows[0].querySelectorAll('td.retention-cell')[1] as HTMLElement;
    expect(cell.title).toBe('4 of 10 visitors');
    expect(cell.style.backgroundColor).not.toBe('');

    // On top: (4 + 6) / (10 + 30) for week 1, only the first cohort for week 2.
    const average = byTestId('retention-average') as HTMLElement;
    expect(grid.querySelector('tbody tr')).toBe(average);
    expect(average.querySelector('td')?.textContent).toBe('60');
    expect(rowCells(average)).toEqual(['100%', '25%', '20%']);
    expect((average.querySelectorAll('td.retention-cell')[1] as HTMLElement).title).toBe('10 of 40 visitors');
  });

  it('shows the empty state without cohorts or without visitors in them', async () => {
    harness.routes['/api/analytics/retention'] = () => json(200, { cohorts: [] });
    await open('/admin/retention');
    expect(byTestId('retention-empty')?.textContent).toBe('No data for this range');
    harness.routes['/api/analytics/retention'] = () =>
      json(200, { cohorts: [{ start: '2026-03-02', size: 0, retained: [0, 0] }] });
    await open('/admin/retention?period=day');
    expect(byTestId('retention-empty')).not.toBeNull();
    expect(byTestId('retention-grid')).toBeNull();
  });

  it('writes changed settings to the URL, keeping the view, and asks with them', async () => {
    harness.routes['/api/analytics/retention'] = () => json(200, { cohorts: COHORTS });
    await open('/admin/retention?range=90d&tz=Europe/Berlin');
    enter(byTestId('retention-start'), 'signup');
    enter(byTestId('retention-return'), 'purchase');
    enter(byTestId('retention-period'), 'day');
    enter(byTestId('retention-periods'), '12');
    expect(callsTo('retention')).toHaveLength(1);
    click(byTestId('retention-apply'));
    await settle(10);
    const url = location();
    expect(url.searchParams.get('start_event')).toBe('signup');
    expect(url.searchParams.get('return_event')).toBe('purchase');
    expect(url.searchParams.get('period')).toBe('day');
    expect(url.searchParams.get('periods')).toBe('12');
    expect(url.searchParams.get('range')).toBe('90d');
    expect(url.searchParams.get('tz')).toBe('Europe/Berlin');
    const call = callsTo('retention').at(-1);
    expect(call?.searchParams.get('start_event')).toBe('signup');
    expect(call?.searchParams.get('period')).toBe('day');
    expect(call?.searchParams.get('periods')).toBe('12');
    expect(call?.searchParams.get('tz')).toBe('Europe/Berlin');
  });

  it('refuses an empty event name before asking', async () => {
    harness.routes['/api/analytics/retention'] = () => json(200, { cohorts: COHORTS });
    await open('/admin/retention');
    enter(byTestId('retention-return'), '  ');
    click(byTestId('retention-apply'));
    await settle(10);
    const input = byTestId('retention-return') as HTMLInputElement;
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(input.getAttribute('aria-describedby') ?? '')?.textContent).toBe('Enter an event name.');
    expect(location().search).toBe('');
    expect(callsTo('retention')).toHaveLength(1);
  });

  it("shows the API's message when it refuses the query", async () => {
    harness.routes['/api/analytics/retention'] = () =>
      json(400, { error: { code: 'invalid_parameter', message: 'periods: at most 12' } });
    await open('/admin/retention');
    await settle(1000);
    expect(byTestId('retention-error')?.textContent).toContain('periods: at most 12');
  });

  it('renders attacker-controlled event names as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    harness.suggestions.event = [evil];
    harness.routes['/api/analytics/retention'] = () => json(200, { cohorts: COHORTS });
    await open(`/admin/retention?start_event=${encodeURIComponent(evil)}`);
    expect(callsTo('retention')[0].searchParams.get('start_event')).toBe(evil);
    expect(byTestId('retention-grid')?.querySelector('caption')?.textContent).toContain(`“${evil}”`);
    expect(harness.container.querySelector('datalist option')?.getAttribute('value')).toBe(evil);
    expect(harness.container.querySelector('img, script')).toBeNull();
  });
});
