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

const ratio = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A ratio such as page views per visit: at most two decimals, e.g. "2.5". */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? ratio.format(value) : '–';
}

/** A share 0..1 as a whole percentage, e.g. 0.4167 → "42%". */
export function formatPercent(share: number): string {
  return Number.isFinite(share) ? `${Math.round(share * 100)}%` : '–';
}

/** A duration in seconds, e.g. 65 → "1m 05s", 42 → "42s", 3725 → "1h 02m" (seconds left out past an hour). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

let regions: Intl.DisplayNames | null | undefined;

/** A country's name from its ISO 3166 code ("DE" → "Germany"); the value itself when it is not a known code. */
export function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  if (regions === undefined) {
    try {
      regions = new Intl.DisplayNames(['en'], { type: 'region' });
    } catch {
      regions = null;
    }
  }
  try {
    return regions?.of(code) ?? code;
  } catch {
    return code;
  }
}
