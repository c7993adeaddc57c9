import type { Cohort, RetentionPeriod } from '../../api';

/** Returned visitors of a period: their count and their share of the visitors it counts over. */
export interface RetentionCell {
  retained: number;
  size: number;
  /** 0..1; null where there is nobody to count over. */
  share: number | null;
}

export function cell(retained: number, size: number): RetentionCell {
  return { retained, size, share: size > 0 ? retained / size : null };
}

/** How many period columns the grid has: the periods asked for, or more where the answer has more. */
export function columnCount(cohorts: Cohort[], periods: number): number {
  return Math.max(periods, ...cohorts.map((c) => c.retained.length));
}

/**
 * The average of each period over the cohorts that have reached it, weighted by cohort size (the returned
 * visitors of those cohorts over their visitors). Null for a period no cohort has reached.
 */
export function averageRow(cohorts: Cohort[], columns: number): (RetentionCell | null)[] {
  return Array.from({ length: columns }, (_, period) => {
    const reached = cohorts.filter((c) => c.retained.length > period && c.size > 0);
    if (reached.length === 0) return null;
    const retained = reached.reduce((sum, c) => sum + c.retained[period], 0);
    const size = reached.reduce((sum, c) => sum + c.size, 0);
    return cell(retained, size);
  });
}

export function isEmpty(cohorts: Cohort[]): boolean {
  return cohorts.every((c) => c.size === 0);
}

/** The heat map's background: the accent colour, stronger with the share (a share of 0 is barely tinted). */
export function heat(share: number): string {
  const clamped = Math.min(1, Math.max(0, share));
  return `rgba(139, 92, 246, ${(0.06 + clamped * 0.74).toFixed(2)})`;
}

const PERIOD_NAMES: Record<RetentionPeriod, string> = { day: 'Day', week: 'Week', month: 'Month' };

export function periodHeading(period: RetentionPeriod, index: number): string {
  return `${PERIOD_NAMES[period]} ${index}`;
}

/** A cohort's start (a local date, YYYY-MM-DD) as a person reads it: "Mar 2, 2026", or "Mar 2026" by month. */
export function cohortLabel(start: string, period: RetentionPeriod): string {
  const date = new Date(`${start.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return start;
  const options: Intl.DateTimeFormatOptions =
    period === 'month' ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' };
  return date.toLocaleDateString('en-US', options);
}
