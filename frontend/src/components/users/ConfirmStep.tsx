import { useId, type ReactNode } from 'react';

interface ConfirmStepProps {
  testId: string;
  /** What is about to happen, and what it costs. */
  children: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  pending: boolean;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/** An inline "are you sure?" before an action that cannot be taken back. Escape cancels. */
export function ConfirmStep({ testId, children, confirmLabel, pendingLabel, pending, danger, onConfirm, onCancel }: ConfirmStepProps) {
  const textId = useId();
  return (
    <div
      className="confirm-step"
      role="group"
      aria-labelledby={textId}
      data-testid={testId}
      onKeyDown={(event) => {
        if (event.key === 'Escape' && !pending) onCancel();
      }}
    >
      <div className="confirm-text" id={textId}>
        {children}
      </div>
      <div className="row-actions">
        <button
          type="button"
          className={`button small ${danger ? 'danger' : 'primary'}`}
          onClick={onConfirm}
          disabled={pending}
          aria-busy={pending}
          data-testid={`${testId}-confirm`}
        >
          {pending ? pendingLabel : confirmLabel}
        </button>
        {/* Focus lands on the safe choice, so Enter right after opening does no harm. */}
        <button type="button" className="button ghost small" onClick={onCancel} disabled={pending} autoFocus data-testid={`${testId}-cancel`}>
          Cancel
        </button>
      </div>
    </div>
  );
}
