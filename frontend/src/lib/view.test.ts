import { describe, expect, it } from 'vitest';
import { buildQuery } from '../api';
import { displayValue, literalValue, parseFilter, parseView, rangeDates, referrerUrl, safeHttpUrl, writeView } from './view';

describe('view state', () => {
  it('parses and writes filters, range and site', () => {
    const view = parseView(new URLSearchParams('range=90d&site=demo&filter=path:is:/a:b&filter=prop:plan:is:pro&filter=x'));
    expect(view.range).toBe('90d');
    expect(view.site).toBe('demo');
    expect(view.filters).toEqual([
      { dimension: 'path', op: 'is', value: '/a:b' },
      { dimension: 'prop:plan', op: 'is', value: 'pro' },
    ]);
    expect(writeView(view).toString()).toBe('range=90d&site=demo&filter=path%3Ais%3A%2Fa%3Ab&filter=prop%3Aplan%3Ais%3Apro');
    expect(parseView(new URLSearchParams('range=nope')).range).toBe('7d');
    expect(parseFilter('path:like:/x')).toBeNull();
  });

  it('escapes a literal bar so a clicked value is not read as alternatives', () => {
    expect(literalValue('a|b')).toBe('a\\|b');
    expect(displayValue('a\\|b')).toBe('a|b');
  });

  it('computes the preset ranges in UTC days, today included', () => {
    const now = new Date('2026-01-05T23:30:00Z');
    expect(rangeDates('today', now)).toEqual({ from: '2026-01-05', to: '2026-01-05' });
    expect(rangeDates('7d', now)).toEqual({ from: '2025-12-30', to: '2026-01-05' });
  });

  it('links only http(s)', () => {
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,x')).toBeNull();
    expect(safeHttpUrl('https://example.com/x')).toBe('https://example.com/x');
    expect(referrerUrl('example.com')).toBe('https://example.com/');
    expect(referrerUrl('javascript:alert(1)')).toBeNull();
    expect(referrerUrl('"><img>')).toBeNull();
  });

  it('sends repeated filter parameters', () => {
    expect(buildQuery({ from: '2026-01-01', filter: ['path:is:/', 'referrer:is:'] })).toBe(
      '?from=2026-01-01&filter=path%3Ais%3A%2F&filter=referrer%3Ais%3A',
    );
  });

  it('takes only real calendar days for a custom range', () => {
    expect(parseView(new URLSearchParams('range=custom&from=2026-02-01&to=2026-02-28')).custom).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    const impossible = parseView(new URLSearchParams('range=custom&from=2026-02-01&to=2026-02-31'));
    expect(impossible.range).toBe('7d');
    expect(impossible.custom).toBeNull();
  });
});
