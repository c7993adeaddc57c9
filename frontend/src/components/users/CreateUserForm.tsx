import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { createUser, type NewUser } from '../../api';
import { ApiErrorMessage, errorField } from './ApiErrorMessage';
import { USERS_KEY } from './usersQuery';

const EMPTY: NewUser = { username: '', email: '', password: '', role: 'viewer' };

/** Creates a user (viewer unless chosen otherwise); the list refreshes and the form clears on success. */
export function CreateUserForm() {
  const id = useId();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<NewUser>(EMPTY);
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: createUser,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: USERS_KEY }),
  });

  const set = <K extends keyof NewUser>(key: K, value: NewUser[K]) => setForm((f) => ({ ...f, [key]: value }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (create.isPending) return;
    const user: NewUser = { ...form, username: form.username.trim(), email: form.email.trim() };
    setCreated(null);
    if (!user.username || !user.email || !user.password) {
      create.reset();
      setProblem('Fill in a username, an e-mail address and a password.');
      return;
    }
    setProblem(null);
    create.mutate(user, {
      onSuccess: (answer) => {
        setForm(EMPTY);
        setCreated(answer.user.username);
      },
    });
  }

  const pending = create.isPending;
  const badField = errorField(create.error);
  const errorId = `${id}-error`;
  const invalid = (field: keyof NewUser) => ({
    'aria-invalid': badField === field,
    'aria-describedby': badField === field ? errorId : undefined,
  });

  return (
    <section className="panel glass users-create" aria-labelledby={`${id}-title`} data-testid="create-user">
      <div className="panel-head">
        <div>
          <h2 id={`${id}-title`}>Add a user</h2>
          <p className="muted small">Viewers see the analytics; admins also manage users and export raw events.</p>
        </div>
      </div>
      <form className="users-create-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
        <div className="field-row">
          <label className="field">
            <span>Username</span>
            <input
              name="username"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              value={form.username}
              onChange={(e) => set('username', e.target.value)}
              disabled={pending}
              aria-describedby={badField === 'username' ? errorId : `${id}-username-hint`}
              aria-invalid={badField === 'username'}
              data-testid="create-username"
            />
            <span className="muted small" id={`${id}-username-hint`}>
              3–32 letters, digits or _ . -
            </span>
          </label>
          <label className="field">
            <span>E-mail</span>
            <input
              name="email"
              type="email"
              autoComplete="off"
              value={form.email}
              onChange={(e) => set('email', e.target.value)}
              disabled={pending}
              {...invalid('email')}
              data-testid="create-email"
            />
          </label>
          <label className="field">
            <span>Password</span>
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => set('password', e.target.value)}
              disabled={pending}
              aria-describedby={badField === 'password' ? errorId : `${id}-password-hint`}
              aria-invalid={badField === 'password'}
              data-testid="create-password"
            />
            <span className="muted small" id={`${id}-password-hint`}>
              At least 10 characters
            </span>
          </label>
          <label className="field">
            <span>Role</span>
            <select
              name="role"
              value={form.role}
              onChange={(e) => set('role', e.target.value === 'admin' ? 'admin' : 'viewer')}
              disabled={pending}
              {...invalid('role')}
              data-testid="create-role"
            >
              <option value="viewer">Viewer</option>
              <option value="admin">Admin</option>
            </select>
          </label>
        </div>
        {problem && (
          <p className="form-error" role="alert" data-testid="create-user-error">
            {problem}
          </p>
        )}
        {create.isError && <ApiErrorMessage error={create.error} id={errorId} testId="create-user-error" />}
        {created && (
          <p className="form-success" role="status" data-testid="create-user-success">
            Created the user {created}.
          </p>
        )}
        <div className="row-actions">
          <button type="submit" className="button primary" disabled={pending} aria-busy={pending} data-testid="create-submit">
            {pending ? 'Creating…' : 'Create user'}
          </button>
        </div>
      </form>
    </section>
  );
}
