import type { Me } from '../api';

interface HeaderProps {
  productName: string;
  user: Me | null;
  onSignOut: () => void;
}

export function Header({ productName, user, onSignOut }: HeaderProps) {
  return (
    <header className="app-header glass">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span>{productName}</span>
      </div>
      <div className="user-box">
        {user ? (
          <div className="user-info">
            <span className="user-line">
              <span className={`role-badge role-${user.role}`}>{user.role}</span>
              <span className="user-name" data-testid="user-name">
                {user.username}
              </span>
            </span>
            <span className="user-email" data-testid="user-email">
              {user.email}
            </span>
          </div>
        ) : (
          <div className="user-info" aria-busy="true">
            <span className="skeleton skeleton-text" />
            <span className="skeleton skeleton-text short" />
          </div>
        )}
        <button type="button" className="button ghost" onClick={onSignOut} data-testid="sign-out">
          Sign out
        </button>
      </div>
    </header>
  );
}
