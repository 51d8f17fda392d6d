import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Caller } from './api/types.js';

export interface SessionContextValue {
  caller: Caller;
  token: string;
  signOut: (message?: string) => void;
  /** Shows a short message at the bottom of the screen. */
  toast: (message: string, kind?: 'success' | 'error') => void;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('useSession outside a signed-in page');
  return value;
}
