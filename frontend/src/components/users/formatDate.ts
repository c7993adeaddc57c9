const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });

/** An RFC 3339 time as a day in the viewer's time zone, e.g. "Mar 2, 2026"; "–" when unreadable. */
export function formatDate(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? '–' : dateFormat.format(time);
}
