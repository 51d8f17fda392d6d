// The signed-in token lives in sessionStorage: it survives reloads of this tab and is gone when
// the tab closes. Nothing else keeps it.
import { dropItem, loadJson, saveJson } from '../session-storage.js';
import type { Caller } from './types.js';

const tokenKey = 'isola.token';
const callerKey = 'isola.caller';

export interface Session {
  token: string;
  caller: Caller;
}

// The token is kept as it is (not JSON), so that it reads back exactly as it was pasted.
export function loadSession(): Session | null {
  let token: string | null;
  try {
    token = sessionStorage.getItem(tokenKey);
  } catch {
    return null;
  }
  const caller = loadJson(callerKey) as Caller | null;
  if (token === null || caller === null || typeof caller !== 'object') return null;
  return { token, caller };
}

export function saveSession(session: Session): void {
  try {
    sessionStorage.setItem(tokenKey, session.token);
  } catch {
    // storage disabled: the session lasts as long as the page
  }
  saveJson(callerKey, session.caller);
}

export function clearSession(): void {
  dropItem(tokenKey);
  dropItem(callerKey);
}
