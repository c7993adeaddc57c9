import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW,
  formatStep,
  funnelReadiness,
  parseStep,
  parseSteps,
  parseWindow,
  readFunnel,
  stepError,
  windowLabel,
  writeFunnel,
} from './funnelSteps';

describe('funnel steps', () => {
  it('reads and writes event and page-view steps', () => {
    expect(parseStep('signup')).toEqual({ kind: 'event', value: 'signup' });
    expect(parseStep('path:/pricing')).toEqual({ kind: 'path', value: '/pricing' });
    expect(formatStep({ kind: 'path', value: ' /pricing ' })).toBe('path:/pricing');
    expect(formatStep({ kind: 'event', value: 'checkout:done' })).toBe('checkout:done');
    expect(parseSteps(' a, ,path:/x,')).toEqual(['a', 'path:/x']);
    expect(parseSteps(null)).toEqual([]);
  });

  it('explains why a step cannot be sent', () => {
    expect(stepError({ kind: 'event', value: 'Sign up.done/1-a_b:c' })).toBeNull();
    expect(stepError({ kind: 'event', value: 'größe' })).toBeNull();
    expect(stepError({ kind: 'event', value: '  ' })).toBe('Enter an event name.');
    expect(stepError({ kind: 'event', value: 'a,b' })).toMatch(/^An event name/);
    expect(stepError({ kind: 'event', value: 'x'.repeat(129) })).toMatch(/^An event name/);
    expect(stepError({ kind: 'path', value: '' })).toMatch(/^Enter a page path/);
    expect(stepError({ kind: 'path', value: 'pricing' })).toBe('A page path starts with /.');
    expect(stepError({ kind: 'path', value: '/a,b' })).toBe('A page path cannot contain a comma.');
  });

  it('is ready with 2–10 valid steps only', () => {
    expect(funnelReadiness(['a'])).toEqual({ ready: false, reason: 'too-few' });
    expect(funnelReadiness(['a', 'path:/b'])).toEqual({ ready: true });
    expect(funnelReadiness(Array.from({ length: 11 }, (_, i) => `e${i}`))).toEqual({ ready: false, reason: 'too-many' });
    expect(funnelReadiness(['a', 'path:b'])).toMatchObject({ ready: false, reason: 'invalid', index: 1 });
  });

  it('reads the window, falling back to a day, and keeps other parameters when writing', () => {
    expect(parseWindow('3600')).toBe(3600);
    for (const bad of [null, '', '0', '-5', '1e3', 'abc', '99999999999999999999']) expect(parseWindow(bad)).toBe(DEFAULT_WINDOW);
    expect(windowLabel(86400)).toBe('1 day');
    expect(windowLabel(7200)).toBe('2h 00m');
    const base = new URLSearchParams('range=30d&filter=a:is:b&filter=c:is:d&steps=old');
    const written = writeFunnel({ steps: ['x', 'path:/y'], window: 3600 }, base);
    expect(written.toString()).toBe('range=30d&filter=a%3Ais%3Ab&filter=c%3Ais%3Ad&steps=x%2Cpath%3A%2Fy&window=3600');
    expect(readFunnel(written)).toEqual({ steps: ['x', 'path:/y'], window: 3600 });
    expect(base.get('steps')).toBe('old');
  });

  it('refuses an event step that the API would read as a page view', () => {
    expect(stepError({ kind: 'event', value: 'path:/pricing' })).toContain('Page view');
    expect(stepError({ kind: 'event', value: 'checkout:done' })).toBeNull();
  });
});
