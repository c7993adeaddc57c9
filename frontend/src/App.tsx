import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { NotFound } from './components/NotFound';
import { DashboardPage } from './components/site/DashboardPage';

export { PRODUCT_NAME } from './lib/brand';

// The public dashboard is the landing page and ships in the main bundle; the login page and the admin panel
// (API client, overview, ...) load on demand, so a visitor of `/` never downloads them.
const LoginPage = lazy(() => import('./components/LoginPage').then((m) => ({ default: m.LoginPage })));
const AdminPage = lazy(() => import('./components/AdminPage').then((m) => ({ default: m.AdminPage })));

function PageLoading() {
  return (
    <main className="login-page" aria-busy="true">
      <span className="spinner" role="status" aria-label="Loading" />
    </main>
  );
}

/** The routes; main.tsx puts them in a BrowserRouter, the tests in a MemoryRouter. */
export function App() {
  return (
    <Suspense fallback={<PageLoading />}>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/admin/*" element={<AdminPage />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}
