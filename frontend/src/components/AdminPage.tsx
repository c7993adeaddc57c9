import { Navigate, useLocation } from 'react-router';
import { useSession } from '../hooks/useSession';
import { PRODUCT_NAME } from '../lib/brand';
import { AdminOverview } from './AdminOverview';
import { Header } from './Header';

/** `/admin`: only for a signed-in user; signing out (or a 401) leads back to `/login`. Never tracked. */
export function AdminPage() {
  const { session, reload, signOut } = useSession();
  const location = useLocation();

  if (session.status === 'signed-out') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }

  return (
    <div className="app" data-testid="admin">
      <Header productName={PRODUCT_NAME} user={session.status === 'signed-in' ? session.user : null} onSignOut={signOut} />
      {session.status === 'error' ? (
        <main className="dashboard">
          <div className="banner error" role="alert">
            <span>Could not load your profile: {session.error.message}</span>
            <button type="button" className="button ghost small" onClick={reload}>
              Retry
            </button>
          </div>
        </main>
      ) : (
        <AdminOverview />
      )}
    </div>
  );
}
