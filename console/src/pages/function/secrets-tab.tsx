import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, apiPath } from '../../api/client.js';
import { useAction } from '../../api/use-action.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { Badge, Card, ErrorBanner, Field, Notice } from '../../components/ui.js';
import { useSession } from '../../session-context.js';
import type { TabProps } from './function-page.js';

/** The API's pattern for a secret's key (secretParams in the OpenAPI document). */
const keyPattern = /^[A-Z_][A-Z0-9_]{0,127}$/;

function keyProblem(key: string): string | null {
  if (key === '') return 'Name the secret, such as STRIPE_KEY.';
  if (key.length > 128) return 'At most 128 characters.';
  if (!keyPattern.test(key)) return 'Use capital letters, digits and _, not starting with a digit (such as STRIPE_KEY).';
  return null;
}

interface Row {
  key: string;
  declared: boolean;
  set: boolean;
}

const secretPath = (name: string, key: string) => apiPath(`/functions/${encodeURIComponent(name)}/secrets/${encodeURIComponent(key)}`);

/** Secret names the manifest declares and those that have a value; values go in, never come out. */
export function SecretsTab(props: TabProps) {
  const { fn, reload } = props;
  const { toast } = useSession();
  // What this tab changed, until the reloaded function says so too.
  const [changed, setChanged] = useState<Record<string, boolean>>({});
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [touched, setTouched] = useState(false);
  const saving = useAction();
  const [deleting, setDeleting] = useState<string | null>(null);
  const deletion = useAction();
  const valueInput = useRef<HTMLInputElement>(null);
  const form = useRef<HTMLFormElement>(null);

  const secretsKey = fn.secrets.join(',');
  useEffect(() => setChanged({}), [secretsKey]);

  const rows = useMemo<Row[]>(() => {
    const isSet = (name: string) => changed[name] ?? fn.secrets.includes(name);
    const declared = fn.manifest.secrets.map((name) => ({ key: name, declared: true, set: isSet(name) }));
    const extra = [...new Set([...fn.secrets, ...Object.keys(changed)])]
      .filter((name) => !fn.manifest.secrets.includes(name) && isSet(name))
      .sort()
      .map((name) => ({ key: name, declared: false, set: true }));
    return [...declared, ...extra];
  }, [fn.manifest.secrets, fn.secrets, changed]);
  const missing = rows.filter((row) => row.declared && !row.set);

  const existing = rows.find((row) => row.key === key.trim());
  const problem = keyProblem(key.trim());
  const valueProblem = value === '' ? 'Enter the value.' : null;

  const edit = (name: string) => {
    setKey(name);
    setValue('');
    saving.setError(null);
    setTouched(false);
    form.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    valueInput.current?.focus();
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    const name = key.trim();
    if (problem !== null || valueProblem !== null) return;
    await saving.run(async () => {
      await api(secretPath(fn.name, name), { method: 'PUT', body: { value } });
      setValue('');
      setKey('');
      setTouched(false);
      setChanged((current) => ({ ...current, [name]: true }));
      toast(`${name} saved: the function sees it from its next instance on`);
      reload();
    });
  };

  const remove = (name: string) =>
    deletion.run(async () => {
      await api(secretPath(fn.name, name), { method: 'DELETE' });
      setChanged((current) => ({ ...current, [name]: false }));
      setDeleting(null);
      toast(`${name} deleted`);
      reload();
    });

  const deletingRow = rows.find((row) => row.key === deleting);

  return (
    <div class="stack secrets-tab">
      {missing.length > 0 && (
        <Notice kind="warning">
          <strong>
            {missing.length === 1 ? `${missing[0]!.key} has no value` : `${missing.length} declared secrets have no value`}
          </strong>
          <span>The manifest declares {missing.length === 1 ? 'it' : 'them'}, so the code likely reads env.{missing[0]!.key}: set a value below.</span>
        </Notice>
      )}
      <Card title="Secrets" class="flush">
        {rows.length === 0 ? (
          <p class="help secrets-none">The manifest declares no secrets and none are set. Add one below; the function reads it as <code>env.NAME</code>.</p>
        ) : (
          <div class="table-wrap">
            <table class="secrets-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col" class="hide-narrow">
                    Manifest
                  </th>
                  <th scope="col" class="right">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => {
                  const settable = keyPattern.test(row.key);
                  return (
                    <tr key={row.key} class={row.declared && !row.set ? 'secret-missing' : ''}>
                      <td>
                        <code id={`secret-${row.key}`}>{row.key}</code>
                        {row.declared && !row.set && <div class="help">Declared but has no value: env.{row.key} is undefined.</div>}
                        {!settable && <div class="help">The API takes only A–Z, 0–9 and _ in names: rename it in the manifest.</div>}
                      </td>
                      <td>{row.set ? <Badge kind="ok">set</Badge> : <Badge kind="bad">missing</Badge>}</td>
                      <td class="hide-narrow">{row.declared ? <span class="muted">declared</span> : <span class="muted" title={`The function still sees it as env.${row.key}`}>not declared</span>}</td>
                      <td class="right">
                        <div class="actions secrets-actions">
                          <button type="button" class={`button button-small ${row.set ? '' : 'button-primary'}`} aria-describedby={`secret-${row.key}`} disabled={!settable} onClick={() => edit(row.key)}>
                            {row.set ? 'Replace value' : 'Set value'}
                          </button>
                          {row.set && (
                            <button
                              type="button"
                              class="button button-small button-danger"
                              aria-label={`Delete ${row.key}`}
                              onClick={() => {
                                deletion.setError(null);
                                setDeleting(row.key);
                              }}
                            >
                              Delete
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title={existing?.set === true ? `Replace the value of ${existing.key}` : existing !== undefined ? `Set ${existing.key}` : 'Set a secret'}>
        <form ref={form} class="secret-form" onSubmit={save} autoComplete="off" noValidate>
          <Field id="secret-name" label="Secret name" help="Capital letters, digits and _. The function reads it as env.NAME." problem={touched ? problem : null}>
            <input
              class="mono"
              value={key}
              placeholder="STRIPE_KEY"
              maxLength={128}
              spellcheck={false}
              autoComplete="off"
              onInput={(event) => setKey(event.currentTarget.value)}
              onBlur={() => key !== '' && setTouched(true)}
            />
          </Field>
          <Field id="secret-value" label="Secret value" help="Encrypted at rest and never shown again, here or anywhere." problem={touched ? valueProblem : null}>
            <input
              ref={valueInput}
              type="password"
              class="mono"
              value={value}
              autoComplete="new-password"
              spellcheck={false}
              onInput={(event) => setValue(event.currentTarget.value)}
            />
          </Field>
          <div class="row secret-form-actions">
            <button type="submit" class="button button-primary" disabled={saving.busy}>
              {saving.busy ? 'Saving…' : 'Save secret'}
            </button>
            {(key !== '' || value !== '') && (
              <button
                type="button"
                class="button button-ghost"
                onClick={() => {
                  setKey('');
                  setValue('');
                  setTouched(false);
                  saving.setError(null);
                }}
              >
                Cancel
              </button>
            )}
          </div>
          <ErrorBanner error={saving.error} title="The secret was not saved" />
        </form>
      </Card>
      {deleting !== null && (
        <ConfirmDialog title={`Delete ${deleting}?`} confirmLabel="Delete secret" danger busy={deletion.busy} onConfirm={() => void remove(deleting)} onCancel={() => setDeleting(null)}>
          <p>
            The function stops seeing <code>env.{deleting}</code> from its next instance on. The value cannot be recovered.
          </p>
          {deletingRow?.declared === true && <p class="help">The manifest declares it, so it will show as missing.</p>}
          <ErrorBanner error={deletion.error} title="Not deleted" />
        </ConfirmDialog>
      )}
    </div>
  );
}
