// The API's dimensions (breakdowns and filters) and how a person reads them.

export interface Dimension {
  id: string;
  /** Singular, lower case: "page", "entry page", "UTM source" (reads in "page is /pricing"). */
  label: string;
}

export const DIMENSIONS: readonly Dimension[] = [
  { id: 'event', label: 'event' },
  { id: 'path', label: 'page' },
  { id: 'entry_page', label: 'entry page' },
  { id: 'exit_page', label: 'exit page' },
  { id: 'title', label: 'title' },
  { id: 'referrer', label: 'referrer' },
  { id: 'utm_source', label: 'UTM source' },
  { id: 'utm_medium', label: 'UTM medium' },
  { id: 'utm_campaign', label: 'UTM campaign' },
  { id: 'utm_term', label: 'UTM term' },
  { id: 'utm_content', label: 'UTM content' },
  { id: 'browser', label: 'browser' },
  { id: 'browser_version', label: 'browser version' },
  { id: 'os', label: 'OS' },
  { id: 'device', label: 'device' },
  { id: 'country', label: 'country' },
];

/** `prop:<key>` reads as "property <key>". */
export function dimensionLabel(id: string): string {
  if (id.startsWith('prop:')) return `property ${id.slice(5)}`;
  return DIMENSIONS.find((d) => d.id === id)?.label ?? id;
}

/** A property key as the API accepts it in `prop:<key>` (no colon, not empty, at most 128 characters). */
export function isPropertyKey(key: string): boolean {
  return key.length > 0 && key.length <= 128 && !key.includes(':');
}
