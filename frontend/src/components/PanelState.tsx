import type { ReactNode } from 'react';
import { ApiError } from '../api';

interface PanelStateProps {
  testId: string;
  pending: boolean;
  error: unknown;
  empty: boolean;
  onRetry: () => void;
  children: ReactNode;
}

/** The loading, error and empty states every analytics panel shares; the content when there is data. */
export function PanelState({ testId, pending, error, empty, onRetry, children }: PanelStateProps) {
  if (pending) {
    return (
      <div className="panel-placeholder" aria-busy="true" data-testid={`${testId}-loading`}>
        <span className="spinner" role="status" aria-label="Loading" />
      </div>
    );
  }
  if (error) {
    const message = error instanceof ApiError ? error.message : 'Something went wrong.';
    return (
      <div className="banner error" role="alert" data-testid={`${testId}-error`}>
        <span>Could not load this panel: {message}</span>
        <button type="button" className="button ghost small" onClick={onRetry}>
          Retry
        </button>
      </div>
    );
  }
  if (empty) {
    return (
      <p className="panel-placeholder muted" data-testid={`${testId}-empty`}>
        No data for this range
      </p>
    );
  }
  return <>{children}</>;
}
