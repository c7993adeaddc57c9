import { describe, expect, it } from 'vitest';
import { averageRow, cohortLabel, columnCount, heat, isEmpty } from './retentionMath';
import { readRetention, writeRetention } from './retentionParams';

const COHORTS = [
  { start: '2026-03-02', size: 10, retained: [10, 4, 2] },
  { start: '2026-03-09', size: 30, retained: [30, 6] },
  { start: '2026-03-16', size: 0, retained: [0] },
];

describe('retention math', () => {
  it('averages each period over the cohorts that reached it, weighted by size', () => {
    const average = averageRow(COHORTS, 4);
    expect(average.map((c) => c?.share ?? null)).toEqual([1, 0.25, 0.2, null]);
    expect(average[1]).toEqual({ retained: 10, size: 40, share: 0.25 });
  });

  it('has a column per period asked for, or more when the answer has more', () => {
    expect(columnCount(COHORTS, 8)).toBe(8);
    expect(columnCount(COHORTS, 2)).toBe(3);
  });

  it('is empty without cohorts or without visitors in them', () => {
    expect(isEmpty([])).toBe(true);
    expect(isEmpty([{ start: '2026-03-02', size: 0, retained: [0] }])).toBe(true);
    expect(isEmpty(COHORTS)).toBe(false);
  });

  it('shades by share, within bounds', () => {
    expect(heat(0)).toBe('rgba(139, 92, 246, 0.06)');
    expect(heat(1)).toBe('rgba(139, 92, 246, 0.80)');
    expect(heat(7)).toBe(heat(1));
  });

  it('labels cohorts by their start', () => {
    expect(cohortLabel('2026-03-02', 'week')).toBe('Mar 2, 2026');
    expect(cohortLabel('2026-03-01', 'month')).toBe('Mar 2026');
    expect(cohortLabel('soon', 'day')).toBe('soon');
  });

  it('reads settings from the URL with defaults and a cap of 12 periods, and writes them back', () => {
    expect(readRetention(new URLSearchParams(''))).toEqual({
      startEvent: 'pageview',
      returnEvent: 'pageview',
      period: 'week',
      periods: 8,
    });
    expect(readRetention(new URLSearchParams('period=year&periods=40&start_event=signup'))).toMatchObject({
      startEvent: 'signup',
      period: 'week',
      periods: 12,
    });
    expect(readRetention(new URLSearchParams('periods=0')).periods).toBe(1);
    const written = writeRetention(
      { startEvent: 'signup', returnEvent: 'purchase', period: 'month', periods: 3 },
      new URLSearchParams('range=90d'),
    );
    expect(written.toString()).toBe('range=90d&start_event=signup&return_event=purchase&period=month&periods=3');
  });
});
