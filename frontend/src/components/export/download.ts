import type { AnalyticsQuery, ExportFormat } from '../../api';

/** `events-<from>-<to>.<ndjson|csv>`; characters a file system may refuse (the `:` of a time) become `-`. */
export function exportFileName(query: AnalyticsQuery, format: ExportFormat): string {
  const parts = [query.from, query.to].filter((p): p is string => Boolean(p)).map((p) => p.replace(/[^A-Za-z0-9._+-]/g, '-'));
  return `${['events', ...parts].join('-')}.${format}`;
}

/** Saves a Blob as a file through a temporary `<a download>`; the object URL is freed once the click is handled. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Some browsers read the URL after click() returns: free it on the next task, not at once.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
