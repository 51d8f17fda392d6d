import { useState } from 'preact/hooks';
import { api } from '../../api/client.js';
import type { Role, TokenInfo } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { Card, ErrorBanner, Field } from '../../components/ui.js';

export interface CreatedToken extends TokenInfo {
  /** The secret, shown once. */
  token: string;
}

export const roleHelp: Record<Role, string> = {
  admin: 'everything, including tokens',
  deployer: 'deploy functions, set secrets, read logs and records',
  invoker: 'invoke functions only',
};

const expiries: { id: string; label: string; seconds: number | null }[] = [
  { id: 'never', label: 'Never', seconds: null },
  { id: '1d', label: '1 day', seconds: 86_400 },
  { id: '30d', label: '30 days', seconds: 30 * 86_400 },
  { id: '90d', label: '90 days', seconds: 90 * 86_400 },
  { id: '1y', label: '1 year', seconds: 365 * 86_400 },
];

const namePattern = /^[\w.@-]{1,64}$/;
const namespacePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

type TokenField = 'name' | 'namespace';

/** Creates a token; the parent shows its value once. */
export function CreateTokenForm(props: { onCreated: (token: CreatedToken) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('deployer');
  const [namespace, setNamespace] = useState('');
  const [expiry, setExpiry] = useState('90d');
  const [problems, setProblems] = useState<Partial<Record<TokenField, string>>>({});
  const { busy, error, run } = useAction();

  const submit = async (event: Event) => {
    event.preventDefault();
    const found: Partial<Record<TokenField, string>> = {};
    if (!namePattern.test(name.trim())) found.name = name.trim() === '' ? 'Name the token after who or what uses it, e.g. ci-deploy.' : 'Use up to 64 letters, digits and . _ @ -';
    if (namespace.trim() !== '' && !namespacePattern.test(namespace.trim())) found.namespace = 'A namespace is a DNS label: lower-case letters, digits and dashes.';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const seconds = expiries.find((entry) => entry.id === expiry)?.seconds ?? null;
    await run(async () => {
      const created = await api<CreatedToken>('/api/v1/tokens', {
        method: 'POST',
        body: {
          name: name.trim(),
          role,
          ...(namespace.trim() === '' ? {} : { namespace: namespace.trim() }),
          ...(seconds === null ? {} : { expiresInSeconds: seconds }),
        },
      });
      setName('');
      setNamespace('');
      props.onCreated(created);
    });
  };

  return (
    <Card title="Create a token">
      <form class="token-form" onSubmit={submit} noValidate>
        <Field id="token-name" label="Token name" help="Who or what uses it." problem={problems.name ?? null}>
          <input value={name} onInput={(event) => setName(event.currentTarget.value)} placeholder="ci-deploy" autocomplete="off" spellcheck={false} />
        </Field>
        <Field id="token-role" label="Role" help={roleHelp[role]}>
          <select value={role} onChange={(event) => setRole(event.currentTarget.value as Role)}>
            <option value="deployer">deployer</option>
            <option value="invoker">invoker</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <Field
          id="token-namespace"
          label="Namespace"
          help={namespace.trim() === '' ? 'Optional: only functions named <namespace> or <namespace>-…' : `Only functions named ${namespace.trim()} or ${namespace.trim()}-…`}
          problem={problems.namespace ?? null}
        >
          <input value={namespace} onInput={(event) => setNamespace(event.currentTarget.value)} placeholder="all functions" autocomplete="off" spellcheck={false} />
        </Field>
        <Field id="token-expires" label="Expires" help="After that, every gateway refuses it.">
          <select value={expiry} onChange={(event) => setExpiry(event.currentTarget.value)}>
            {expiries.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.label}
              </option>
            ))}
          </select>
        </Field>
        <div class="token-form-submit">
          <button type="submit" class="button button-primary" disabled={busy} aria-busy={busy}>
            {busy && <span class="spinner-dot" aria-hidden="true" />}
            Create token
          </button>
        </div>
        {error !== null && (
          <div class="token-form-error">
            <ErrorBanner error={error} title="The token was not created" />
          </div>
        )}
      </form>
    </Card>
  );
}
