/** How long ago `timestamp` was, against `now` (ms): "12 s ago", "3 min ago", "2 h ago"; "just now" for clock skew. */
export function formatAgo(timestamp: string, now: number): string {
  const time = Date.parse(timestamp);
  if (Number.isNaN(time)) return '–';
  // A client's clock may run ahead of ours: an event "in the future" has just happened.
  const seconds = Math.max(0, Math.floor((now - time) / 1000));
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}

/** A window of seconds as words: 300 → "5 minutes", 60 → "minute", 90 → "90 seconds". */
export function formatWindow(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return 'few minutes';
  if (seconds % 60 !== 0) return `${seconds} seconds`;
  const minutes = seconds / 60;
  return minutes === 1 ? 'minute' : `${minutes} minutes`;
}
