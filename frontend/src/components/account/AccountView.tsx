import { Link, useLocation, useNavigate } from 'react-router';
import type { Me } from '../../api';
import { formatDate } from '../users/formatDate';
import { ChangePasswordForm } from './ChangePasswordForm';

/**
 * The outcome of a password change travels in the location's state: signing in again reloads the profile,
 * which remounts this view, so component state would not outlive it.
 */
const NOTICE = 'password-changed';

function hasNotice(state: unknown): boolean {
  return typeof state === 'object' && state !== null && (state as { accountNotice?: unknown }).accountNotice === NOTICE;
}

/** `/admin/account`: the signed-in user's profile and their password. */
export function AccountView({ user }: { user: Me }) {
  const location = useLocation();
  const navigate = useNavigate();
  const here = location.pathname + location.search;

  return (
    <main className="dashboard account-view">
      <div className="panel-head">
        <div>
          <h1>Your account</h1>
          <p className="muted">Your profile on this installation.</p>
        </div>
      </div>

      {hasNotice(location.state) && (
        <div className="banner success" role="status" data-testid="account-notice">
          <span>Your password has been changed. Every other session of yours has ended; you are still signed in here.</span>
          <button type="button" className="button ghost small" onClick={() => void navigate(here, { replace: true, state: null })}>
            Dismiss
          </button>
        </div>
      )}

      <section className="panel glass" aria-labelledby="account-profile-title" data-testid="account-profile">
        <h2 id="account-profile-title">Profile</h2>
        <dl className="profile-list">
          <div>
            <dt>Username</dt>
            <dd data-testid="account-username">{user.username}</dd>
          </div>
          <div>
            <dt>E-mail</dt>
            <dd data-testid="account-email">{user.email}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>
              <span className={`role-badge role-${user.role}`} data-testid="account-role">
                {user.role}
              </span>
            </dd>
          </div>
          <div>
            <dt>Member since</dt>
            <dd>
              <time dateTime={user.created_at} title={user.created_at} data-testid="account-created">
                {formatDate(user.created_at)}
              </time>
            </dd>
          </div>
        </dl>
        <p className="muted small">
          {user.role === 'admin' ? (
            <>
              E-mail addresses and roles are changed under <Link to="/admin/users">Users</Link>.
            </>
          ) : (
            'An admin changes your e-mail address or role.'
          )}
        </p>
      </section>

      <ChangePasswordForm
        username={user.username}
        onSignedInAgain={() => void navigate(here, { replace: true, state: { accountNotice: NOTICE } })}
      />
    </main>
  );
}
