import { useSyncExternalStore } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { isSignedIn, onAuthChange } from '../api';
import { PRODUCT_NAME } from '../lib/brand';
import { LoginForm } from './LoginForm';

/** Where a signed-in user goes: back to the admin page they asked for, else `/admin`. */
function nextPath(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/admin') ? from : '/admin';
}

/** `/login`: the sign-in form; once a token is stored, on to the admin panel. */
export function LoginPage() {
  const signedIn = useSyncExternalStore(onAuthChange, isSignedIn, () => false);
  const location = useLocation();

  if (signedIn) return <Navigate to={nextPath(location.state)} replace />;

  return (
    <LoginForm
      productName={PRODUCT_NAME}
      footer={
        <Link to="/" className="back-link small" data-testid="back-to-dashboard">
          ← Back to the dashboard
        </Link>
      }
    />
  );
}
