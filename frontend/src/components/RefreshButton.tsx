/** Asks a panel's question again now (panels other than the live view never refresh on a timer). */
export function RefreshButton({ onClick, fetching, testId }: { onClick: () => void; fetching: boolean; testId: string }) {
  return (
    <button type="button" className="button ghost small" onClick={onClick} disabled={fetching} aria-busy={fetching} data-testid={testId}>
      {fetching ? 'Refreshing…' : 'Refresh'}
    </button>
  );
}
