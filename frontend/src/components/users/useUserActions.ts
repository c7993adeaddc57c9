import { useMutation, useQueryClient } from '@tanstack/react-query';
import { deleteUser, updateUser, type Role, type UserRecord } from '../../api';
import { useSessionControl } from '../../hooks/sessionContext';
import { USERS_KEY } from './usersQuery';

/**
 * The changes an admin makes to one user, each a mutation that refreshes the list when it succeeds. Each
 * stays pending until the list has been fetched again, so the row never shows the old value as if saved.
 */
export function useUserActions(username: string) {
  const queryClient = useQueryClient();
  const session = useSessionControl();

  const refresh = () => queryClient.invalidateQueries({ queryKey: USERS_KEY });
  const applied = (answer: { user: UserRecord }) => {
    // Show the answer at once; the refetch then confirms it (or, after a change to oneself, answers 401).
    queryClient.setQueryData<{ users: UserRecord[] }>(USERS_KEY, (old) =>
      old ? { users: old.users.map((u) => (u.username === username ? { ...u, ...answer.user } : u)) } : old,
    );
    return refresh();
  };

  const role = useMutation({ mutationFn: (next: Role) => updateUser(username, { role: next }), onSuccess: applied });
  const email = useMutation({
    mutationFn: (next: string) => updateUser(username, { email: next }),
    onSuccess: (answer) => {
      // One's own e-mail: the header and the account page show the profile, which must follow.
      if (username === session.username) session.reload();
      return applied(answer);
    },
  });
  const password = useMutation({
    mutationFn: (next: string) => updateUser(username, { password: next }),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: () => deleteUser(username), onSuccess: refresh });

  const all = [role, email, password, remove];
  return {
    role,
    email,
    password,
    remove,
    pending: all.some((m) => m.isPending),
    /** The failure of the last action (the others are reset when one starts). */
    error: all.find((m) => m.isError)?.error ?? null,
    reset: () => {
      for (const m of all) m.reset();
    },
  };
}
