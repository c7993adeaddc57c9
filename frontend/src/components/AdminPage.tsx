import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../api';
import { useSession } from '../hooks/useSession';
import { PRODUCT_NAME } from '../lib/brand';
import { AdminOverview } from './AdminOverview';
import { Header } from './Header';

/**
 * The admin panel's cache of analytics answers: fresh for 30 s, refetched on window focus or on demand
 * (never on a timer: only the overview polls), one retry for failures that are not the client's fault.
 */
function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: true,
        retry: (count, error) => count < 1 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
    },
  });
}

/** `/admin`: only for a signed-in user; signing out (or a 401) leads back to `/login`. Never tracked. */
export function AdminPage() {
  const { session, reload, signOut } = useSession();
  const location = useLocation();
  const [queryClient] = useState(createQueryClient);

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
        <QueryClientProvider client={queryClient}>
          <AdminOverview />
        </QueryClientProvider>
      )}
    </div>
  );
}
