import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { ApiError, getToken, logout, me, onAuthChange, type Me } from '../api';

export type SessionState =
  | { status: 'signed-out' }
  | { status: 'loading' }
  | { status: 'signed-in'; user: Me }
  | { status: 'error'; error: ApiError };

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'unknown_error', error instanceof Error ? error.message : 'Something went wrong.');
}

/** Who is signed in: follows the stored token and loads the profile from GET /api/auth/me. */
export function useSession(): { session: SessionState; reload: () => void; signOut: () => void } {
  // The token itself is the snapshot: a new sign-in (even as the same user) loads the profile afresh.
  const token = useSyncExternalStore(onAuthChange, () => getToken(), () => null);
  const signedIn = token !== null;
  const [attempt, setAttempt] = useState(0);
  const [result, setResult] = useState<{ key: string; state: SessionState } | null>(null);
  const key = `${token ?? ''}:${attempt}`;

  useEffect(() => {
    // The admin panel never tracks itself, so the user is not identified to the page's tracker.
    if (!signedIn) return;
    const controller = new AbortController();
    me(controller.signal)
      .then((user) => {
        setResult({ key, state: { status: 'signed-in', user } });
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        // A 401 has already signed the user out (see api.ts); anything else is shown with a retry.
        setResult({ key, state: { status: 'error', error: toApiError(error) } });
      });
    return () => controller.abort();
  }, [signedIn, key]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const signOut = useCallback(() => logout(), []);

  let session: SessionState;
  if (!signedIn) session = { status: 'signed-out' };
  else if (result && result.key === key) session = result.state;
  // A reload for the same token keeps showing the profile it had, instead of blanking the panel.
  else if (result && result.key.startsWith(`${token}:`) && result.state.status === 'signed-in') session = result.state;
  else session = { status: 'loading' };
  return { session, reload, signOut };
}
