import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, login } from '../api';

function loginErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    // The API's 429 message already says how long to wait; add it only when the message does not.
    if (error.status === 429 && error.retryAfter !== null && !/\d/.test(error.message)) {
      return `${error.message} (try again in ${error.retryAfter} s)`;
    }
    return error.message;
  }
  return 'Something went wrong. Please try again.';
}

interface LoginFormProps {
  productName: string;
  /** Shown under the form (a link back to the public dashboard). */
  footer?: ReactNode;
}

export function LoginForm({ productName, footer }: LoginFormProps) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    setPending(true);
    setError(null);
    try {
      await login(username.trim(), password);
      // The stored token sends the login page on to the admin panel; this form unmounts.
    } catch (err) {
      setError(loginErrorMessage(err));
      setPending(false);
    }
  }

  return (
    <main className="login-page">
      <form className="glass login-card" onSubmit={(e) => void onSubmit(e)} aria-labelledby="login-title" noValidate>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          <span>{productName}</span>
        </div>
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Sign in to see your product&apos;s analytics.</p>

        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            disabled={pending}
            aria-invalid={error !== null}
            aria-describedby={error ? 'login-error' : undefined}
            data-testid="login-username"
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            disabled={pending}
            aria-invalid={error !== null}
            aria-describedby={error ? 'login-error' : undefined}
            data-testid="login-password"
          />
        </label>

        {error && (
          <p className="form-error" id="login-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}

        <button
          type="submit"
          className="button primary wide"
          disabled={pending || !username.trim() || !password}
          data-testid="login-submit"
        >
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
        {footer}
      </form>
    </main>
  );
}
