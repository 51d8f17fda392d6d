import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { Route, Router, Switch, Redirect } from 'wouter-preact';
import { hashHref, useHashPath, useHashSearch } from './hash-location.js';
import { useToken } from './api/client.js';
import { clearSession, loadSession, saveSession, type Session } from './api/session.js';
import { Layout } from './components/layout.js';
import { SessionContext, type SessionContextValue } from './session-context.js';
import { SignIn } from './pages/sign-in.js';
import { FunctionsPage } from './pages/functions.js';
import { FunctionPage } from './pages/function/function-page.js';
import { InvocationsPage } from './pages/invocations.js';
import { QueuesPage } from './pages/queues.js';
import { TokensPage } from './pages/tokens.js';
import { Empty } from './components/ui.js';

interface Toast {
  id: number;
  message: string;
  kind: 'success' | 'error';
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [signedOutReason, setSignedOutReason] = useState<string | null>(null);
  const [toasts, setToasts] = useState<Toast[]>([]);

  const signOut = useCallback((message?: string) => {
    clearSession();
    setSession(null);
    setSignedOutReason(message ?? null);
  }, []);
  // Set during render, before any child effect can call the API.
  useToken(session?.token ?? null, (message) => signOut(`Your token was refused: ${message}`));

  const toast = useCallback((message: string, kind: 'success' | 'error' = 'success') => {
    const id = Date.now() + Math.random();
    // At most three at once: a burst of actions must not cover the page.
    setToasts((list) => [...list.slice(-2), { id, message, kind }]);
    setTimeout(() => setToasts((list) => list.filter((entry) => entry.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);

  const context = useMemo<SessionContextValue | null>(
    () => (session === null ? null : { caller: session.caller, token: session.token, signOut, toast }),
    [session, signOut, toast],
  );

  useEffect(() => {
    document.title = session === null ? 'Sign in · Isola' : 'Isola console';
  }, [session]);

  if (session === null || context === null) {
    return (
      <SignIn
        reason={signedOutReason}
        onSignedIn={(next) => {
          saveSession(next);
          setSignedOutReason(null);
          setSession(next);
        }}
      />
    );
  }

  return (
    <SessionContext.Provider value={context}>
      <Router hook={useHashPath} searchHook={useHashSearch} hrefs={hashHref}>
        <Layout>
          <Switch>
            <Route path="/">
              <Redirect to="/functions" replace />
            </Route>
            <Route path="/functions" component={FunctionsPage} />
            <Route path="/functions/:name/:tab?">{(params) => <FunctionPage name={params.name} tab={params.tab ?? 'overview'} />}</Route>
            <Route path="/invocations/:id?">{(params) => <InvocationsPage id={params.id ?? null} />}</Route>
            <Route path="/queues" component={QueuesPage} />
            <Route path="/tokens" component={TokensPage} />
            <Route>
              <Empty title="No such page">
                <a href="#/functions">Go to the functions</a>
              </Empty>
            </Route>
          </Switch>
        </Layout>
      </Router>
      <div class="toasts" aria-live="polite">
        {toasts.map((entry) => (
          <div key={entry.id} class={`toast toast-${entry.kind}`} role={entry.kind === 'error' ? 'alert' : 'status'}>
            {entry.message}
          </div>
        ))}
      </div>
    </SessionContext.Provider>
  );
}
