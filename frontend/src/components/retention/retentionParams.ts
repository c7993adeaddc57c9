import type { RetentionPeriod } from '../../api';

// A retention query's own settings, kept in the URL next to the view's parameters:
// `start_event=signup&return_event=pageview&period=week&periods=8`.

export const DEFAULT_EVENT = 'pageview';
export const DEFAULT_PERIOD: RetentionPeriod = 'week';
export const DEFAULT_PERIODS = 8;
export const MAX_PERIODS = 12;

export const PERIOD_OPTIONS: readonly { id: RetentionPeriod; label: string }[] = [
  { id: 'day', label: 'Day' },
  { id: 'week', label: 'Week' },
  { id: 'month', label: 'Month' },
];

export interface RetentionSettings {
  startEvent: string;
  returnEvent: string;
  period: RetentionPeriod;
  periods: number;
}

function parsePeriods(text: string | null): number {
  if (!text || !/^\d+$/.test(text)) return DEFAULT_PERIODS;
  return Math.min(MAX_PERIODS, Math.max(1, Number(text)));
}

export function readRetention(params: URLSearchParams): RetentionSettings {
  const period = params.get('period');
  return {
    startEvent: params.get('start_event')?.trim() || DEFAULT_EVENT,
    returnEvent: params.get('return_event')?.trim() || DEFAULT_EVENT,
    period: PERIOD_OPTIONS.some((p) => p.id === period) ? (period as RetentionPeriod) : DEFAULT_PERIOD,
    periods: parsePeriods(params.get('periods')),
  };
}

/** Writes the settings into query parameters, keeping every other parameter (the view's range, filters, ...). */
export function writeRetention(settings: RetentionSettings, base: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams(base);
  params.set('start_event', settings.startEvent.trim());
  params.set('return_event', settings.returnEvent.trim());
  params.set('period', settings.period);
  params.set('periods', String(settings.periods));
  return params;
}

export function settingsKey(settings: RetentionSettings): string {
  return [settings.startEvent.trim(), settings.returnEvent.trim(), settings.period, settings.periods].join('|');
}
