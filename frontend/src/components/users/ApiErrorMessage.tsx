import { ApiError } from '../../api';

/**
 * One entry of an error's `details` as text. The contract leaves their shape open: strings, or objects
 * naming a field and a message/reason, are read; anything else is shown as JSON rather than dropped.
 */
function detailText(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (detail && typeof detail === 'object') {
    const { field, message, reason } = detail as Record<string, unknown>;
    const text = typeof message === 'string' ? message : typeof reason === 'string' ? reason : null;
    if (text) return typeof field === 'string' && field ? `${field}: ${text}` : text;
  }
  return String(JSON.stringify(detail));
}

/** The API's message for an error; a 429 also says how long to wait when its message does not already. */
export function errorText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (error.status === 429 && error.retryAfter !== null && !error.message.includes(String(error.retryAfter))) {
    return `${error.message} (try again in ${error.retryAfter} s)`;
  }
  return error.message;
}

interface ApiErrorMessageProps {
  error: unknown;
  /** Replaces the API's message where the form knows better what it means (a wrong current password). */
  message?: string;
  id?: string;
  testId?: string;
}

/** An API error shown plainly under a form or next to a row: its message, then its field details if any. */
export function ApiErrorMessage({ error, message, id, testId }: ApiErrorMessageProps) {
  const details = error instanceof ApiError ? error.details.map(detailText) : [];
  return (
    <div className="form-error" role="alert" id={id} data-testid={testId}>
      <p>{message ?? errorText(error)}</p>
      {details.length > 0 && (
        <ul className="error-details">
          {details.map((detail, index) => (
            <li key={index}>{detail}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Which form field an API error is about (by its code), to mark that field invalid. */
export function errorField(error: unknown): 'username' | 'email' | 'password' | 'role' | null {
  if (!(error instanceof ApiError)) return null;
  switch (error.code) {
    case 'invalid_username':
    case 'username_taken':
      return 'username';
    case 'invalid_email':
    case 'email_taken':
      return 'email';
    case 'weak_password':
      return 'password';
    case 'invalid_role':
      return 'role';
    default:
      return null;
  }
}
