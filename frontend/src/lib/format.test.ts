import { describe, expect, it } from 'vitest';
import { countryName, formatCount, formatDuration, formatPercent, formatRatio, percentChange } from './format';

describe('percentChange', () => {
  it('labels rises and falls', () => {
    expect(percentChange(150, 100)).toMatchObject({ trend: 'up', label: '+50%' });
    expect(percentChange(97, 100)).toMatchObject({ trend: 'down', label: '\u22123%' });
    expect(percentChange(1025, 1000)).toMatchObject({ trend: 'up', label: '+2.5%' });
  });

  it('handles an empty previous period', () => {
    expect(percentChange(5, 0)).toEqual({ trend: 'new', percent: null, label: 'new' });
    expect(percentChange(0, 0)).toEqual({ trend: 'flat', percent: 0, label: '0%' });
  });

  it('calls tiny changes flat', () => {
    expect(percentChange(100000, 100001)).toMatchObject({ trend: 'flat', label: '0%' });
  });
});

describe('formatCount', () => {
  it('groups thousands', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(Number.NaN)).toBe('–');
  });
});

describe('formatPercent', () => {
  it('shows a 0..1 share as a whole percentage', () => {
    expect(formatPercent(0.4167)).toBe('42%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(Number.NaN)).toBe('–');
  });
});

describe('formatRatio', () => {
  it('keeps at most two decimals', () => {
    expect(formatRatio(2.5)).toBe('2.5');
    expect(formatRatio(4 / 3)).toBe('1.33');
    expect(formatRatio(3)).toBe('3');
  });
});

describe('formatDuration', () => {
  it('shows minutes and zero-padded seconds', () => {
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(65.4)).toBe('1m 05s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(600)).toBe('10m 00s');
    expect(formatDuration(3725)).toBe('1h 02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('–');
  });

  it('names countries by their code, and leaves anything else as it is', () => {
    expect(countryName('DE')).toBe('Germany');
    expect(countryName('')).toBe('');
    expect(countryName('<b>')).toBe('<b>');
  });
});
