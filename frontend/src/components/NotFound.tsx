import { Link } from 'react-router';

export function NotFound() {
  return (
    <main className="login-page">
      <div className="glass login-card" data-testid="not-found">
        <h1>Page not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link to="/" className="button primary wide">
          Go to the dashboard
        </Link>
      </div>
    </main>
  );
}
