import { useId, useState } from 'react';
import type { Role, UserRecord } from '../../api';
import { ApiErrorMessage } from './ApiErrorMessage';
import { ConfirmStep } from './ConfirmStep';
import { formatDate } from './formatDate';
import { UserEmailEditor } from './UserEmailEditor';
import { UserPasswordForm } from './UserPasswordForm';
import { useUserActions } from './useUserActions';

type Panel = 'password' | 'delete' | 'demote' | null;

const ROLE_LABELS: Record<Role, string> = { admin: 'Admin', viewer: 'Viewer' };

/**
 * One user in the table, with its actions: role, e-mail, password, delete. What an action needs beyond a
 * click (a confirmation, the password form), its error and its outcome show in a line right under the row.
 */
export function UserRow({ user, isSelf }: { user: UserRecord; isSelf: boolean }) {
  const actions = useUserActions(user.username);
  const [panel, setPanel] = useState<Panel>(null);
  const [editingEmail, setEditingEmail] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const detailId = useId();
  const name = user.username;

  /** Every action starts from a clean slate: one error, one outcome at a time. */
  function begin(next: Panel) {
    actions.reset();
    setNotice(null);
    setPanel(next);
  }

  function changeRole(role: Role) {
    if (role === user.role) return;
    if (isSelf && role !== 'admin') return begin('demote');
    begin(null);
    setEditingEmail(false);
    actions.role.mutate(role, {
      onSuccess: () => setNotice(`${name} is now ${ROLE_LABELS[role].toLowerCase()}; their sessions have ended.`),
    });
  }

  const shownRole = actions.role.isPending ? actions.role.variables : user.role;
  const hasDetail = panel !== null || actions.error !== null || notice !== null;

  return (
    <>
      <tr data-testid="user-row" data-username={name} aria-busy={actions.pending}>
        <th scope="row" data-label="Username">
          <span className="user-cell-name" data-testid="user-row-name">
            {name}
          </span>
          {isSelf && (
            <span className="you-badge" data-testid="user-row-you">
              you
            </span>
          )}
        </th>
        <td data-label="E-mail">
          {editingEmail ? (
            <UserEmailEditor
              username={name}
              email={user.email}
              pending={actions.email.isPending}
              onSave={(email) =>
                actions.email.mutate(email, {
                  onSuccess: () => {
                    setEditingEmail(false);
                    setNotice(`E-mail address of ${name} changed.`);
                  },
                })
              }
              onCancel={() => {
                actions.reset();
                setEditingEmail(false);
              }}
            />
          ) : (
            <span className="user-cell-email" data-testid="user-row-email">
              {user.email}
            </span>
          )}
        </td>
        <td data-label="Role">
          <span className="role-cell">
            <select
              className="inline-select"
              value={shownRole}
              onChange={(e) => changeRole(e.target.value as Role)}
              disabled={actions.pending}
              aria-label={`Role of ${name}`}
              data-testid="user-row-role"
            >
              <option value="viewer">{ROLE_LABELS.viewer}</option>
              <option value="admin">{ROLE_LABELS.admin}</option>
            </select>
            {actions.role.isPending && (
              <span className="spinner small-spinner" role="status" aria-label={`Saving the role of ${name}`} />
            )}
          </span>
        </td>
        <td data-label="Created">
          <time dateTime={user.created_at} title={user.created_at}>
            {formatDate(user.created_at)}
          </time>
        </td>
        <td data-label="Actions">
          <div className="row-actions">
            <button
              type="button"
              className="button ghost small"
              onClick={() => {
                begin(null);
                setEditingEmail(true);
              }}
              disabled={actions.pending || editingEmail}
              aria-label={`Change the e-mail address of ${name}`}
              data-testid="user-row-edit-email"
            >
              E-mail
            </button>
            <button
              type="button"
              className="button ghost small"
              onClick={() => begin(panel === 'password' ? null : 'password')}
              disabled={actions.pending}
              aria-expanded={panel === 'password'}
              aria-controls={panel === 'password' ? detailId : undefined}
              aria-label={`Set a password for ${name}`}
              data-testid="user-row-password"
            >
              Password
            </button>
            <button
              type="button"
              className="button ghost small danger-text"
              onClick={() => begin(panel === 'delete' ? null : 'delete')}
              disabled={actions.pending}
              aria-expanded={panel === 'delete'}
              aria-controls={panel === 'delete' ? detailId : undefined}
              aria-label={`Delete ${name}`}
              data-testid="user-row-delete"
            >
              Delete
            </button>
          </div>
        </td>
      </tr>
      {hasDetail && (
        <tr className="user-detail" data-testid="user-row-detail" data-username={name}>
          <td colSpan={5} id={detailId}>
            {panel === 'password' && (
              <UserPasswordForm
                username={name}
                isSelf={isSelf}
                pending={actions.password.isPending}
                onSubmit={(password) =>
                  actions.password.mutate(password, {
                    onSuccess: () => {
                      setPanel(null);
                      setNotice(`Password of ${name} set; their sessions have ended.`);
                    },
                  })
                }
                onCancel={() => begin(null)}
              />
            )}
            {panel === 'delete' && (
              <ConfirmStep
                testId="confirm-delete"
                danger
                confirmLabel={`Delete ${name}`}
                pendingLabel="Deleting…"
                pending={actions.remove.isPending}
                onConfirm={() => actions.remove.mutate()}
                onCancel={() => begin(null)}
              >
                <p>
                  Delete the user <strong>{name}</strong>? They can no longer sign in. This cannot be undone.
                </p>
                {isSelf && (
                  <p className="warning-text" data-testid="confirm-delete-self">
                    This is your own account: you will be signed out and cannot sign in again.
                  </p>
                )}
              </ConfirmStep>
            )}
            {panel === 'demote' && (
              <ConfirmStep
                testId="confirm-demote"
                confirmLabel="Make me a viewer"
                pendingLabel="Saving…"
                pending={actions.role.isPending}
                onConfirm={() => actions.role.mutate('viewer', { onSuccess: () => setPanel(null) })}
                onCancel={() => begin(null)}
              >
                <p className="warning-text">
                  Make yourself a viewer? You will lose access to this page, and your session ends: you sign in again
                  and see analytics only.
                </p>
              </ConfirmStep>
            )}
            {actions.error !== null && <ApiErrorMessage error={actions.error} testId="user-row-error" />}
            {notice && (
              <p className="form-success" role="status" data-testid="user-row-notice">
                {notice}
              </p>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
