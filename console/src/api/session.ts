// The signed-in token lives in sessionStorage: it survives reloads of this tab and is gone when
// the tab closes. Nothing else keeps it.
import type { Caller } from './types.js';

const tokenKey = 'isola.token';
const callerKey = 'isola.caller';

export interface Session {
  token: string;
  caller: Caller;
}

export function loadSession(): Session | null {
  const token = sessionStorage.getItem(tokenKey);
  const caller = sessionStorage.getItem(callerKey);
  if (token === null || caller === null) return null;
  try {
    return { token, caller: JSON.parse(caller) as Caller };
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(tokenKey, session.token);
  sessionStorage.setItem(callerKey, JSON.stringify(session.caller));
}

export function clearSession(): void {
  sessionStorage.removeItem(tokenKey);
  sessionStorage.removeItem(callerKey);
}
