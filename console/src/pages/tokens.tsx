import { useMemo, useState } from 'preact/hooks';
import { api, apiPath } from '../api/client.js';
import type { TokenInfo } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { useApi } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { formatTime, relativeTime } from '../components/format.js';
import { Badge, Card, Empty, ErrorBanner, PageHeader, Spinner } from '../components/ui.js';
import { useSession } from '../session-context.js';
import { CreateTokenForm, roleHelp, type CreatedToken } from './tokens/create-token-form.js';
import { NewTokenPanel } from './tokens/new-token-panel.js';

/** API tokens: list, create (the value shown once), revoke. Admin tokens only. */
export function TokensPage() {
  const { caller } = useSession();
  if (caller.role !== 'admin') {
    return (
      <>
        <PageHeader title="Tokens" />
        <Card>
          <Empty title="Tokens are managed by admin tokens">
            <p class="empty-text">
              You are signed in as <strong>{caller.name}</strong> ({caller.role}
              {caller.namespace === null ? '' : `, namespace ${caller.namespace}`}), which may {roleHelp[caller.role]}. Ask an admin for a new token or to revoke one.
            </p>
          </Empty>
        </Card>
      </>
    );
  }
  return <TokensAdmin />;
}

function TokensAdmin() {
  const { caller, toast, signOut } = useSession();
  const { data, error, loading, reload } = useApi<{ tokens: TokenInfo[] }>(apiPath('/tokens'));
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<TokenInfo | null>(null);
  const revocation = useAction();

  const tokens = useMemo(() => [...(data?.tokens ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)), [data]);
  const isSelf = (token: TokenInfo) => caller.id !== null && token.id === caller.id;

  const revoke = (token: TokenInfo) =>
    revocation.run(async () => {
      await api<undefined>(apiPath(`/tokens/${encodeURIComponent(token.id)}`), { method: 'DELETE' });
      if (isSelf(token)) {
        signOut(`You revoked the token you were signed in with (“${token.name}”). Sign in with another token.`);
        return;
      }
      toast(`Revoked ${token.name}`);
      if (created?.id === token.id) setCreated(null);
      setRevoking(null);
      reload();
    });

  return (
    <>
      <PageHeader title="Tokens" subtitle="Who may call the API and the console. A token's value is shown once, when it is created." />
      {created !== null && <NewTokenPanel token={created} onDone={() => setCreated(null)} />}
      <CreateTokenForm
        onCreated={(token) => {
          setCreated(token);
          reload();
        }}
      />
      <section class="card flush tokens-card">
        <div class="card-header">
          <h2>Tokens{data !== null && ` (${tokens.length})`}</h2>
        </div>
        {error !== null && (
          <div class="card-inset">
            <ErrorBanner error={error} title="The tokens could not be loaded" />
          </div>
        )}
        {data === null ? (
          loading && (
            <div class="card-inset">
              <Spinner label="Loading tokens…" />
            </div>
          )
        ) : tokens.length === 0 ? (
          <Empty title="No tokens created yet">
            <span>
              {caller.id === null
                ? `You are signed in with the platform's configured admin token (${caller.name}), which is not listed here. Create tokens for people and CI above.`
                : 'Create tokens for people and CI above.'}
            </span>
          </Empty>
        ) : (
          <div class="table-wrap">
            <table class="tokens-table">
              <caption class="visually-hidden">API tokens, newest first</caption>
              <thead>
                <tr>
                  <th>Name</th>
                  <th class="hide-narrow">Role</th>
                  <th class="hide-narrow">Namespace</th>
                  <th class="hide-narrow">Created</th>
                  <th>Expires</th>
                  <th>
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => (
                  <TokenRow key={token.id} token={token} self={isSelf(token)} onRevoke={() => setRevoking(token)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {revoking !== null && (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke"
          danger
          busy={revocation.busy}
          onConfirm={() => void revoke(revoking)}
          onCancel={() => {
            setRevoking(null);
            revocation.setError(null);
          }}
        >
          <p>
            Every gateway refuses <strong>{revoking.name}</strong> ({revoking.role}
            {revoking.namespace === null ? '' : `, namespace ${revoking.namespace}`}) at once. Whatever uses it — CI, scripts, people — stops working. This cannot be undone.
          </p>
          {isSelf(revoking) && (
            <div class="banner banner-warning" role="alert">
              <strong>This is the token you are signed in with.</strong> You will be signed out.
            </div>
          )}
          <ErrorBanner error={revocation.error} title="The token was not revoked" />
        </ConfirmDialog>
      )}
    </>
  );
}

function Expiry(props: { expiresAt: string | null }) {
  if (props.expiresAt === null) return <span class="muted">never</span>;
  const time = Date.parse(props.expiresAt);
  if (time <= Date.now()) return <Badge kind="bad">expired</Badge>;
  const soon = time - Date.now() < 7 * 86_400_000;
  return (
    <span class={soon ? 'text-warn' : undefined} title={formatTime(props.expiresAt)}>
      {relativeTime(props.expiresAt)}
    </span>
  );
}

function TokenRow(props: { token: TokenInfo; self: boolean; onRevoke: () => void }) {
  const { token } = props;
  return (
    <tr>
      <td>
        <div class="token-name">
          <strong>{token.name}</strong>
          {props.self && <Badge kind="info">you</Badge>}
          <span class="show-narrow">
            <Badge kind={`role-${token.role}`}>{token.role}</Badge>
          </span>
        </div>
        <div class="small muted mono" title="Token id">
          {token.id}
        </div>
      </td>
      <td class="hide-narrow">
        <Badge kind={`role-${token.role}`} title={roleHelp[token.role]}>
          {token.role}
        </Badge>
      </td>
      <td class="hide-narrow">{token.namespace ?? <span class="muted">all</span>}</td>
      <td class="hide-narrow">
        <span title={formatTime(token.createdAt)}>{relativeTime(token.createdAt)}</span>
        <div class="small muted">by {token.createdBy}</div>
      </td>
      <td class="nowrap">
        <Expiry expiresAt={token.expiresAt} />
      </td>
      <td class="right">
        <button type="button" class="button button-danger button-small" onClick={props.onRevoke} aria-label={`Revoke ${token.name}`}>
          Revoke
        </button>
      </td>
    </tr>
  );
}
