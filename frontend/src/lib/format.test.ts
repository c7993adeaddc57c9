import { describe, expect, it } from 'vitest';
import { formatCount, percentChange } from './format';

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
