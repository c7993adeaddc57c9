import type { UserRecord } from '../../api';
import { UserRow } from './UserRow';

/** The users, by name, the signed-in one marked. */
export function UsersTable({ users, currentUsername }: { users: UserRecord[]; currentUsername: string }) {
  const sorted = [...users].sort((a, b) => a.username.localeCompare(b.username));
  return (
    <div className="table-wrap users-table-wrap">
      <table className="compare-table users-table" data-testid="users-table">
        <caption className="sr-only">Users of this installation</caption>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">E-mail</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((user) => (
            <UserRow key={user.username} user={user} isSelf={user.username === currentUsername} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
