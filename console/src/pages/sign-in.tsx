import { useEffect, useRef, useState } from 'preact/hooks';
import { api, toApiError } from '../api/client.js';
import type { Session } from '../api/session.js';
import type { Caller } from '../api/types.js';

/** Asks for an API token, checks it with the gateway, and keeps it for this tab only. */
export function SignIn(props: { reason: string | null; onSignedIn: (session: Session) => void }) {
  // The one thing to do here: the field has focus as soon as the page shows (the autofocus
  // attribute alone loses to a page that is still settling).
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (value === '') {
      setError('Paste an API token. `isola up` prints the admin token when it starts (and keeps it under .isola/).');
      return;
    }
    setBusy(true);
    setError(null);
    // Signing in replaces this page: only a refusal updates it.
    const refuse = (message: string) => {
      setError(message);
      setBusy(false);
    };
    try {
      const caller = await api<Caller>('/api/v1/tokens/current', { token: value });
      if (caller.role === 'invoker') {
        refuse(`The token “${caller.name}” has the invoker role: it may only invoke functions. The console needs a deployer or admin token.`);
        return;
      }
      props.onSignedIn({ token: value, caller });
    } catch (failure) {
      const apiError = toApiError(failure);
      refuse(apiError.status === 401 ? `That token was not accepted: ${apiError.message}` : apiError.message);
    }
  };

  return (
    <div class="sign-in">
      <form class="sign-in-card" onSubmit={submit}>
        <div class="brand brand-large">
          <span class="logo" aria-hidden="true" />
          <span>Isola</span>
        </div>
        <h1>Sign in to the console</h1>
        {props.reason !== null && (
          <div class="banner banner-warning" role="alert">
            {props.reason}
          </div>
        )}
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="isola_…"
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-describedby="token-help"
          aria-invalid={error !== null}
          ref={field}
          autoFocus
        />
        <p id="token-help" class="help">
          An admin or deployer token. It stays in this browser tab only and is forgotten when the tab closes.
        </p>
        {error !== null && (
          <div class="banner banner-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
