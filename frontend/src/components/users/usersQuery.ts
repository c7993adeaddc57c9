import { useQuery } from '@tanstack/react-query';
import { listUsers } from '../../api';

/** The cache key of GET /api/users: every change to a user invalidates it. */
export const USERS_KEY = ['users'] as const;

export function useUsers() {
  return useQuery({
    queryKey: USERS_KEY,
    queryFn: ({ signal }) => listUsers(signal),
  });
}
