import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from '../api';
import { SessionContext } from '../hooks/sessionContext';
import { useSession } from '../hooks/useSession';
import { PRODUCT_NAME } from '../lib/brand';
import { AccountView } from './account/AccountView';
import { AdminNav } from './AdminNav';
import { AdminOverview } from './AdminOverview';
import { FunnelsView } from './funnel/FunnelsView';
import { Header } from './Header';
import { LiveView } from './live/LiveView';
import { RetentionView } from './retention/RetentionView';
import { UsersView } from './users/UsersView';

/**
 * The admin panel's cache of analytics answers: fresh for 30 s, refetched on window focus or on demand
 * (never on a timer: only the live view polls), one retry for failures that are not the client's fault.
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

function AdminOnly({ children, isAdmin }: { children: ReactNode; isAdmin: boolean }) {
  if (isAdmin) return <>{children}</>;
  return (
    <main className="dashboard">
      <div className="banner" role="alert" data-testid="admin-only">
        <span>Only an admin manages users. Ask an admin of this installation if you need an account changed.</span>
      </div>
    </main>
  );
}

function AdminNotFound() {
  return (
    <main className="dashboard">
      <div className="banner" role="alert" data-testid="admin-not-found">
        <span>There is no such page in the admin panel.</span>
        <Link to="/admin" className="button ghost small">
          Go to the overview
        </Link>
      </div>
    </main>
  );
}

/**
 * `/admin/...`: only for a signed-in user; signing out (or a 401) leads back to `/login`. Never tracked.
 * Sections: overview (index), funnels, retention, live, users (admin), account.
 */
export function AdminPage() {
  const { session, reload, signOut } = useSession();
  const location = useLocation();
  const [queryClient] = useState(createQueryClient);
  const username = session.status === 'signed-in' ? session.user.username : null;
  const sessionControl = useMemo(() => ({ username, reload }), [username, reload]);

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
          <SessionContext.Provider value={sessionControl}>
          <AdminNav role={session.status === 'signed-in' ? session.user.role : null} />
          {session.status === 'signed-in' ? (
            <Routes>
              <Route index element={<AdminOverview isAdmin={session.user.role === 'admin'} />} />
              <Route path="funnels" element={<FunnelsView />} />
              <Route path="retention" element={<RetentionView />} />
              <Route path="live" element={<LiveView />} />
              <Route
                path="users"
                element={
                  <AdminOnly isAdmin={session.user.role === 'admin'}>
                    <UsersView currentUser={session.user} />
                  </AdminOnly>
                }
              />
              <Route path="account" element={<AccountView user={session.user} />} />
              <Route path="*" element={<AdminNotFound />} />
            </Routes>
          ) : (
            <main className="dashboard" aria-busy="true">
              <span className="spinner" role="status" aria-label="Loading" />
            </main>
          )}
          </SessionContext.Provider>
        </QueryClientProvider>
      )}
    </div>
  );
}
