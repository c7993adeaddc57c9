// The state of an admin view (date range, filters, site), kept in the URL's query string so that a view can
// be shared or bookmarked: `?range=30d&filter=path:is:/pricing&site=demo`.

export const RANGE_PRESETS = [
  { id: 'today', label: 'Today', days: 1 },
  { id: '7d', label: 'Last 7 days', days: 7 },
  { id: '30d', label: 'Last 30 days', days: 30 },
  { id: '90d', label: 'Last 90 days', days: 90 },
] as const;

export type RangeId = (typeof RANGE_PRESETS)[number]['id'];

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
  filters: Filter[];
  site: string | null;
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
  const range = RANGE_PRESETS.some((p) => p.id === rangeParam) ? (rangeParam as RangeId) : DEFAULT_RANGE;
  const filters: Filter[] = [];
  for (const text of params.getAll('filter')) {
    const filter = parseFilter(text);
    if (filter && !filters.some((f) => formatFilter(f) === formatFilter(filter))) filters.push(filter);
  }
  const site = params.get('site') || null;
  return { range, filters, site };
}

/** Writes a view back into query parameters, keeping any other parameter as it was. */
export function writeView(view: View, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const params = new URLSearchParams(base);
  params.delete('range');
  params.delete('filter');
  params.delete('site');
  if (view.range !== DEFAULT_RANGE) params.set('range', view.range);
  if (view.site) params.set('site', view.site);
  for (const filter of view.filters) params.append('filter', formatFilter(filter));
  return params;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The range's first and last day (`YYYY-MM-DD`, UTC, `to` inclusive) as of `now`. */
export function rangeDates(range: RangeId, now: Date = new Date()): { from: string; to: string } {
  const days = RANGE_PRESETS.find((p) => p.id === range)?.days ?? 7;
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  return { from: day(start), to: day(now) };
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
