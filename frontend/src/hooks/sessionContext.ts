import { createContext, useContext } from 'react';

interface SessionControl {
  /** The signed-in user's name, or null while the profile loads. */
  username: string | null;
  /** Loads the signed-in user's profile again (after a change made to it elsewhere in the panel). */
  reload: () => void;
}

export const SessionContext = createContext<SessionControl>({ username: null, reload: () => undefined });

export function useSessionControl(): SessionControl {
  return useContext(SessionContext);
}
