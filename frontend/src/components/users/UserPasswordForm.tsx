import { useId, useState, type FormEvent } from 'react';

interface UserPasswordFormProps {
  username: string;
  isSelf: boolean;
  pending: boolean;
  onSubmit: (password: string) => void;
  onCancel: () => void;
}

/** Sets a user's password: typed twice, and only sent once both match. */
export function UserPasswordForm({ username, isSelf, pending, onSubmit, onCancel }: UserPasswordFormProps) {
  const id = useId();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    if (!password) return setProblem('Type the new password.');
    if (password !== repeat) return setProblem('The two passwords do not match.');
    setProblem(null);
    onSubmit(password);
  }

  return (
    <form
      className="row-form"
      onSubmit={submit}
      noValidate
      aria-label={`Set a password for ${username}`}
      data-testid="password-form"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && !pending) onCancel();
      }}
    >
      <p className={isSelf ? 'warning-text' : 'muted small'}>
        {isSelf
          ? 'This is your own account: setting its password ends your session, and you sign in again with the new password.'
          : `${username} is signed out everywhere and signs in again with the new password.`}
      </p>
      <div className="field-row">
        <label className="field">
          <span>New password</span>
          <input
            type="password"
            autoComplete="new-password"
            autoFocus
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            disabled={pending}
            aria-describedby={`${id}-hint`}
            data-testid="password-new"
          />
        </label>
        <label className="field">
          <span>Repeat the new password</span>
          <input
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            disabled={pending}
            aria-invalid={problem !== null}
            aria-describedby={problem ? `${id}-problem` : undefined}
            data-testid="password-repeat"
          />
        </label>
      </div>
      <p className="muted small" id={`${id}-hint`}>
        At least 10 characters; not the username nor a well-known password.
      </p>
      {problem && (
        <p className="form-error" role="alert" id={`${id}-problem`} data-testid="password-problem">
          {problem}
        </p>
      )}
      <div className="row-actions">
        <button type="submit" className="button primary small" disabled={pending} aria-busy={pending} data-testid="password-save">
          {pending ? 'Setting…' : 'Set password'}
        </button>
        <button type="button" className="button ghost small" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
