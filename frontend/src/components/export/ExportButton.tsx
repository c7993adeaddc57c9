import { useEffect, useId, useRef, useState } from 'react';
import { ApiError, buildQuery, exportEvents, type AnalyticsQuery, type ExportFormat } from '../../api';
import { exportFileName, saveBlob } from './download';

type State =
  | { status: 'idle' }
  | { status: 'busy' }
  | { status: 'done'; fileName: string; size: number }
  | { status: 'cancelled' }
  | { status: 'error'; error: unknown; path: string };

const FORMATS: readonly { id: ExportFormat; label: string }[] = [
  { id: 'ndjson', label: 'NDJSON' },
  { id: 'csv', label: 'CSV' },
];

function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** What went wrong, in the API's words, and what to do about it. */
function ExportError({ error, path }: { error: unknown; path: string }) {
  if (!(error instanceof ApiError)) {
    return <span>The export failed: something went wrong.</span>;
  }
  if (error.status === 413) {
    return (
      <span className="export-error-text">
        <span>Too large to download through the API: {error.message}</span>
        <span>
          Choose a shorter date range or add filters. For an export of any size, call the deployment&apos;s streaming
          export URL (the stack output <code>AnalyticsStreamUrl</code>) from a script:{' '}
          <code className="export-command" data-testid="export-stream-command">{`curl -H "Authorization: Bearer $TOKEN" "$ANALYTICS_STREAM_URL${path}"`}</code>
        </span>
      </span>
    );
  }
  if (error.status === 403) return <span>Only an admin can export events: {error.message}</span>;
  if (error.status === 503 && error.code === 'query_timeout') {
    return (
      <span>
        The export took too long and was stopped: {error.message} Try a shorter date range or add filters.
      </span>
    );
  }
  return <span>The export failed: {error.message}</span>;
}

/**
 * Admin-only: downloads the raw events of the current view (GET /api/analytics/export) as NDJSON or CSV.
 * Self-contained: the caller passes the view's common query and renders it only for admins.
 */
export function ExportButton({ query }: { query: AnalyticsQuery }) {
  const id = useId();
  const [format, setFormat] = useState<ExportFormat>('ndjson');
  const [state, setState] = useState<State>({ status: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const downloadButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const busy = state.status === 'busy';

  // Leaving the page stops a download nobody would receive.
  useEffect(() => () => controller.current?.abort(), []);

  // The Download button is disabled while busy, and Cancel goes away after: keep the keyboard focus usable.
  const wasBusy = useRef(false);
  useEffect(() => {
    if (busy) cancelButton.current?.focus();
    else if (wasBusy.current && (document.activeElement === document.body || document.activeElement === null)) {
      downloadButton.current?.focus();
    }
    wasBusy.current = busy;
  }, [busy]);

  const download = async () => {
    const params = { ...query, format };
    const fileName = exportFileName(query, format);
    const path = `/api/analytics/export${buildQuery(params)}`;
    const current = new AbortController();
    controller.current = current;
    setState({ status: 'busy' });
    try {
      const blob = await exportEvents(params, current.signal);
      if (current.signal.aborted) return;
      saveBlob(blob, fileName);
      setState({ status: 'done', fileName, size: blob.size });
    } catch (error) {
      setState(current.signal.aborted ? { status: 'cancelled' } : { status: 'error', error, path });
    } finally {
      if (controller.current === current) controller.current = null;
    }
  };

  const cancel = () => {
    controller.current?.abort();
    setState({ status: 'cancelled' });
  };

  return (
    <div className="export-control" data-testid="export">
      <div className="export-row">
        <label htmlFor={id} className="muted small">
          Export format
        </label>
        <select
          id={id}
          className="live-select"
          value={format}
          disabled={busy}
          data-testid="export-format"
          onChange={(e) => setFormat(e.target.value as ExportFormat)}
        >
          {FORMATS.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
            </option>
          ))}
        </select>
        <button
          ref={downloadButton}
          type="button"
          className="button small"
          disabled={busy}
          aria-busy={busy}
          data-testid="export-download"
          onClick={() => void download()}
        >
          {busy && <span className="spinner" aria-hidden="true" />}
          {busy ? 'Preparing the export…' : 'Download events'}
        </button>
        {busy && (
          <button ref={cancelButton} type="button" className="button ghost small" data-testid="export-cancel" onClick={cancel}>
            Cancel
          </button>
        )}
      </div>
      <p className="muted small export-status" role="status" data-testid="export-status">
        {state.status === 'busy' && 'Preparing the export of the raw events of this view…'}
        {state.status === 'done' && `Saved ${state.fileName} (${formatBytes(state.size)}).`}
        {state.status === 'cancelled' && 'Export cancelled.'}
      </p>
      {state.status === 'error' && (
        <div className="banner error" role="alert" data-testid="export-error">
          <ExportError error={state.error} path={state.path} />
        </div>
      )}
    </div>
  );
}
