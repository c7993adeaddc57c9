import type { Me } from '../../api';
import { PanelState } from '../PanelState';
import { errorText } from './ApiErrorMessage';
import { CreateUserForm } from './CreateUserForm';
import { useUsers } from './usersQuery';
import { UsersTable } from './UsersTable';

/** `/admin/users` (admins only): who can sign in, with their roles; add, change and delete users. */
export function UsersView({ currentUser }: { currentUser: Me }) {
  const users = useUsers();
  const list = users.data?.users ?? [];
  return (
    <main className="dashboard users-view">
      <div className="panel-head">
        <div>
          <h1>Users</h1>
          <p className="muted">Who can sign in to this admin panel, and what they may do.</p>
        </div>
      </div>

      <section className="panel glass" aria-labelledby="users-title" data-testid="users" aria-busy={users.isFetching}>
        <h2 id="users-title">All users</h2>
        {/* With a list at hand, a failed refresh keeps it and says so, rather than hiding it. */}
        <PanelState
          testId="users"
          pending={users.isPending}
          error={users.data ? null : users.error}
          empty={false}
          onRetry={() => void users.refetch()}
        >
          {users.isError && (
            <div className="banner error" role="alert" data-testid="users-refresh-error">
              <span>Could not refresh the list: {errorText(users.error)}</span>
              <button type="button" className="button ghost small" onClick={() => void users.refetch()}>
                Retry
              </button>
            </div>
          )}
          {list.length === 0 ? (
            <p className="panel-placeholder muted" data-testid="users-empty">
              No users yet.
            </p>
          ) : (
            <UsersTable users={list} currentUsername={currentUser.username} />
          )}
        </PanelState>
      </section>

      <CreateUserForm />
    </main>
  );
}
