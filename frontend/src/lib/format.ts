const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return Number.isFinite(value) ? integer.format(value) : '–';
}

export type Trend = 'up' | 'down' | 'flat' | 'new';

export interface Change {
  trend: Trend;
  /** Relative change in percent; null when there is nothing to compare with. */
  percent: number | null;
  /** Short text, e.g. "+12.5%", "−3%", "0%", "new". */
  label: string;
}

/** The change of `current` against `previous` as a percentage. */
export function percentChange(current: number, previous: number): Change {
  if (!Number.isFinite(current) || !Number.isFinite(previous)) return { trend: 'flat', percent: null, label: '–' };
  if (previous === 0) {
    return current === 0 ? { trend: 'flat', percent: 0, label: '0%' } : { trend: 'new', percent: null, label: 'new' };
  }
  const percent = ((current - previous) / Math.abs(previous)) * 100;
  const rounded = Math.abs(percent) >= 10 ? Math.round(percent) : Math.round(percent * 10) / 10;
  if (rounded === 0) return { trend: 'flat', percent, label: '0%' };
  const sign = rounded > 0 ? '+' : '\u2212';
  return { trend: rounded > 0 ? 'up' : 'down', percent, label: `${sign}${Math.abs(rounded)}%` };
}
