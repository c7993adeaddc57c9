// The state of an admin view (date range, filters, site, time zone, comparison), kept in the URL's query
// string so that a view can be shared or bookmarked:
// `?range=30d&filter=path:is:/pricing&site=demo&tz=Europe/Berlin&compare=year`, or a custom range
// `?range=custom&from=2026-01-01&to=2026-01-31`.

export const RANGE_PRESETS = [
  { id: 'today', label: 'Today', days: 1 },
  { id: '7d', label: 'Last 7 days', days: 7 },
  { id: '30d', label: 'Last 30 days', days: 30 },
  { id: '90d', label: 'Last 90 days', days: 90 },
] as const;

export type PresetId = (typeof RANGE_PRESETS)[number]['id'];
export type RangeId = PresetId | 'custom';

export type Compare = 'previous' | 'year' | 'none';

export const COMPARE_OPTIONS: readonly { id: Compare; label: string }[] = [
  { id: 'previous', label: 'Previous period' },
  { id: 'year', label: 'Year before' },
  { id: 'none', label: 'No comparison' },
];

export const DEFAULT_RANGE: RangeId = '7d';

export type FilterOp = 'is' | 'is_not' | 'contains' | 'not_contains' | 'matches' | 'not_matches';

export interface Filter {
  dimension: string;
  op: FilterOp;
  /** The value as the API reads it (`|` separates alternatives, `\|` is a literal bar). */
  value: string;
}

export interface View {
  range: RangeId;
  /** First and last day (`YYYY-MM-DD`, `to` inclusive) of a custom range; null for a preset. */
  custom: { from: string; to: string } | null;
  filters: Filter[];
  site: string | null;
  /** IANA time zone of days and buckets; null is the API's default, UTC. */
  tz: string | null;
  compare: Compare;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isDay(value: string | null): value is string {
  // A real calendar day: Date.parse would take 2026-02-31 as March 3rd.
  if (value === null || !DAY.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Whether the runtime knows the zone (an unknown one would make every request a 400). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const OPS: readonly FilterOp[] = ['is', 'is_not', 'contains', 'not_contains', 'matches', 'not_matches'];

export const OP_LABELS: Record<FilterOp, string> = {
  is: 'is',
  is_not: 'is not',
  contains: 'contains',
  not_contains: 'does not contain',
  matches: 'matches',
  not_matches: 'does not match',
};

/** Reads `<dimension>:<op>:<value>` (`prop:<key>:<op>:<value>` for a property); null when malformed. */
export function parseFilter(text: string): Filter | null {
  const parts = text.split(':');
  const dimLength = parts[0] === 'prop' ? 2 : 1;
  if (parts.length < dimLength + 2) return null;
  const dimension = parts.slice(0, dimLength).join(':');
  const op = parts[dimLength] as FilterOp;
  if (!dimension || (dimLength === 2 && !parts[1]) || !OPS.includes(op)) return null;
  return { dimension, op, value: parts.slice(dimLength + 1).join(':') };
}

export function formatFilter(filter: Filter): string {
  return `${filter.dimension}:${filter.op}:${filter.value}`;
}

/** A row's value as an exact-match filter value: a literal `|` is escaped so it is not an alternative. */
export function literalValue(value: string): string {
  return value.replace(/\|/g, '\\|');
}

/** The value as a person reads it (escaped bars shown plainly). */
export function displayValue(value: string): string {
  return value.replace(/\\\|/g, '|');
}

export function parseView(params: URLSearchParams): View {
  const rangeParam = params.get('range');
  let range: RangeId = RANGE_PRESETS.some((p) => p.id === rangeParam) ? (rangeParam as RangeId) : DEFAULT_RANGE;
  let custom: View['custom'] = null;
  const from = params.get('from');
  const to = params.get('to');
  if (rangeParam === 'custom' && isDay(from) && isDay(to)) {
    range = 'custom';
    custom = from <= to ? { from, to } : { from: to, to: from };
  }
  const filters: Filter[] = [];
  for (const text of params.getAll('filter')) {
    const filter = parseFilter(text);
    if (filter && !filters.some((f) => formatFilter(f) === formatFilter(filter))) filters.push(filter);
  }
  const site = params.get('site') || null;
  const tzParam = params.get('tz');
  const tz = tzParam && tzParam !== 'UTC' && isTimeZone(tzParam) ? tzParam : null;
  const compareParam = params.get('compare');
  const compare: Compare = compareParam === 'year' || compareParam === 'none' ? compareParam : 'previous';
  return { range, custom, filters, site, tz, compare };
}

/** Writes a view back into query parameters, keeping any other parameter as it was. */
export function writeView(view: View, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const params = new URLSearchParams(base);
  for (const key of ['range', 'from', 'to', 'filter', 'site', 'tz', 'compare']) params.delete(key);
  if (view.range === 'custom' && view.custom) {
    params.set('range', 'custom');
    params.set('from', view.custom.from);
    params.set('to', view.custom.to);
  } else if (view.range !== DEFAULT_RANGE && view.range !== 'custom') {
    params.set('range', view.range);
  }
  if (view.site) params.set('site', view.site);
  if (view.tz) params.set('tz', view.tz);
  if (view.compare !== 'previous') params.set('compare', view.compare);
  for (const filter of view.filters) params.append('filter', formatFilter(filter));
  return params;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Today's date (`YYYY-MM-DD`) in a time zone (UTC when null). */
export function todayIn(tz: string | null, now: Date = new Date()): string {
  if (!tz) return day(now);
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * The view's first and last day (`YYYY-MM-DD`, `to` inclusive) as of `now`: a preset counts back from today in
 * the view's time zone, a custom range is as written.
 */
export function rangeDates(range: RangeId, now: Date = new Date(), tz: string | null = null, custom: View['custom'] = null): { from: string; to: string } {
  return rangeFrom(range, todayIn(tz, now), custom);
}

/** The view's first and last day, counted back from `today` (`YYYY-MM-DD` in the view's zone). */
export function rangeFrom(range: RangeId, today: string, custom: View['custom'] = null): { from: string; to: string } {
  if (range === 'custom' && custom) return custom;
  const days = RANGE_PRESETS.find((p) => p.id === range)?.days ?? 7;
  const [y, m, d] = today.split('-').map(Number);
  const start = new Date(Date.UTC(y, m - 1, d - (days - 1)));
  return { from: day(start), to: today };
}

/** How a view's range reads, e.g. "Last 7 days" or "2026-01-01 – 2026-01-31". */
export function rangeLabel(view: Pick<View, 'range' | 'custom'>): string {
  if (view.range === 'custom' && view.custom) {
    return view.custom.from === view.custom.to ? view.custom.from : `${view.custom.from} – ${view.custom.to}`;
  }
  return RANGE_PRESETS.find((p) => p.id === view.range)?.label ?? '';
}

/** An http(s) URL for a value, or null: no other scheme (javascript:, data:, ...) ever becomes a link. */
export function safeHttpUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A referrer domain's site as an https link, or null when the value is not a plain host name. */
export function referrerUrl(domain: string): string | null {
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?$/i.test(domain)) return null;
  return safeHttpUrl(`https://${domain}/`);
}
