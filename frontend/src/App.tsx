import { Dashboard } from './components/Dashboard';
import { Header } from './components/Header';
import { LoginForm } from './components/LoginForm';
import { useSession } from './hooks/useSession';

export const PRODUCT_NAME = 'Pulse Analytics';

export function App() {
  const { session, reload, signOut } = useSession();

  if (session.status === 'signed-out') return <LoginForm productName={PRODUCT_NAME} />;

  return (
    <div className="app">
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
        <Dashboard />
      )}
    </div>
  );
}
