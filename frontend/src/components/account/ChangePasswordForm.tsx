import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ApiError, changePassword, login, logout } from '../../api';
import { ApiErrorMessage } from '../users/ApiErrorMessage';

/** What happened after the API accepted the new password (which ends every session, this one included). */
type Outcome = { signedIn: true } | { signedIn: false; error: unknown };

interface ChangePasswordFormProps {
  username: string;
  /** Called once signed in again with the new password (the panel reloads the profile, so this form remounts). */
  onSignedInAgain: () => void;
}

function isWrongCurrentPassword(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401 && error.code === 'invalid_credentials';
}

/** "Change password": current, new, new again; then signs in again with the new one so the user stays in. */
export function ChangePasswordForm({ username, onSignedInAgain }: ChangePasswordFormProps) {
  const id = useId();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const change = useMutation({
    mutationFn: async (passwords: { current: string; next: string }): Promise<Outcome> => {
      await changePassword(passwords.current, passwords.next);
      try {
        await login(username, passwords.next);
        return { signedIn: true };
      } catch (error) {
        return { signedIn: false, error };
      }
    },
    // On the hook, not on mutate(): signing in again swaps the token and remounts this form before it ends.
    onSuccess: (outcome) => {
      if (outcome.signedIn) onSignedInAgain();
    },
    onError: (error) => {
      // This request does not sign out on a 401 (a wrong current password is one); an ended session still does.
      if (error instanceof ApiError && error.status === 401 && !isWrongCurrentPassword(error)) logout();
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (change.isPending) return;
    change.reset();
    if (!current) return setProblem('Type your current password.');
    if (!next) return setProblem('Type a new password.');
    if (next !== repeat) return setProblem('The two new passwords do not match.');
    setProblem(null);
    change.mutate({ current, next });
  }

  const pending = change.isPending;
  const wrongCurrent = isWrongCurrentPassword(change.error);
  const weak = change.error instanceof ApiError && change.error.code === 'weak_password';
  const errorId = `${id}-error`;
  const outcome = change.data;

  return (
    <section className="panel glass account-password" aria-labelledby={`${id}-title`} data-testid="change-password">
      <div>
        <h2 id={`${id}-title`}>Change password</h2>
        <p className="muted small">Every other session of yours ends; this one continues with the new password.</p>
      </div>
      <form className="account-password-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
        {/* Lets password managers tie the new password to this account. */}
        <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
        <label className="field">
          <span>Current password</span>
          <input
            type="password"
            name="current-password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            disabled={pending}
            aria-invalid={wrongCurrent}
            aria-describedby={wrongCurrent ? errorId : undefined}
            data-testid="account-current"
          />
        </label>
        <div className="field-row">
          <label className="field">
            <span>New password</span>
            <input
              type="password"
              name="new-password"
              autoComplete="new-password"
              value={next}
              onChange={(e) => setNext(e.target.value)}
              disabled={pending}
              aria-invalid={weak}
              aria-describedby={weak ? errorId : `${id}-hint`}
              data-testid="account-new"
            />
          </label>
          <label className="field">
            <span>Repeat the new password</span>
            <input
              type="password"
              name="repeat-password"
              autoComplete="new-password"
              value={repeat}
              onChange={(e) => setRepeat(e.target.value)}
              disabled={pending}
              aria-invalid={problem !== null && next !== repeat}
              data-testid="account-repeat"
            />
          </label>
        </div>
        <p className="muted small" id={`${id}-hint`}>
          At least 10 characters; not your username nor a well-known password.
        </p>

        {problem && (
          <p className="form-error" role="alert" data-testid="account-password-error">
            {problem}
          </p>
        )}
        {change.isError && (
          <ApiErrorMessage
            error={change.error}
            id={errorId}
            testId="account-password-error"
            message={wrongCurrent ? 'The current password is wrong.' : undefined}
          />
        )}
        {outcome && !outcome.signedIn && (
          <div className="form-error" role="alert" data-testid="account-relogin-failed">
            <p>
              Your password has been changed, but signing in again failed ({outcome.error instanceof ApiError ? outcome.error.message : 'unknown error'}).
              Please sign in again with the new password.
            </p>
            <button type="button" className="button small" onClick={logout}>
              Sign in again
            </button>
          </div>
        )}

        <div className="row-actions">
          <button type="submit" className="button primary" disabled={pending} aria-busy={pending} data-testid="account-password-submit">
            {pending ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
