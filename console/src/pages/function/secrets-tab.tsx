import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, apiPath } from '../../api/client.js';
import { Badge, Card, ErrorBanner, Notice } from '../../components/ui.js';
import { useSession } from '../../session-context.js';
import { ConfirmDialog } from '../list/confirm-dialog.js';
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
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<ApiError | null>(null);
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
    setError(null);
    setTouched(false);
    form.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    valueInput.current?.focus();
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    const name = key.trim();
    if (problem !== null || valueProblem !== null) return;
    setSaving(true);
    setError(null);
    try {
      await api(secretPath(fn.name, name), { method: 'PUT', body: { value } });
      setValue('');
      setKey('');
      setTouched(false);
      setChanged((current) => ({ ...current, [name]: true }));
      toast(`${name} saved: the function sees it from its next instance on`);
      reload();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, 'CLIENT', String(failure)));
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (deleting === null) return;
    const name = deleting;
    setDeleteBusy(true);
    setDeleteError(null);
    try {
      await api(secretPath(fn.name, name), { method: 'DELETE' });
      setChanged((current) => ({ ...current, [name]: false }));
      setDeleting(null);
      toast(`${name} deleted`);
      reload();
    } catch (failure) {
      setDeleteError(failure instanceof ApiError ? failure : new ApiError(0, 'CLIENT', String(failure)));
    } finally {
      setDeleteBusy(false);
    }
  };

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
                                setDeleteError(null);
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
          <div class="field">
            <label for="secret-name">Secret name</label>
            <input
              id="secret-name"
              class="mono"
              value={key}
              placeholder="STRIPE_KEY"
              maxLength={128}
              spellcheck={false}
              autoComplete="off"
              aria-invalid={touched && problem !== null}
              aria-describedby="secret-name-help"
              onInput={(event) => setKey(event.currentTarget.value)}
              onBlur={() => key !== '' && setTouched(true)}
            />
            <p class={`help ${touched && problem !== null ? 'field-error' : ''}`} id="secret-name-help">
              {touched && problem !== null ? problem : 'Capital letters, digits and _. The function reads it as env.NAME.'}
            </p>
          </div>
          <div class="field">
            <label for="secret-value">Secret value</label>
            <input
              ref={valueInput}
              id="secret-value"
              type="password"
              class="mono"
              value={value}
              autoComplete="new-password"
              spellcheck={false}
              aria-invalid={touched && valueProblem !== null}
              aria-describedby="secret-value-help"
              onInput={(event) => setValue(event.currentTarget.value)}
            />
            <p class={`help ${touched && valueProblem !== null ? 'field-error' : ''}`} id="secret-value-help">
              {touched && valueProblem !== null ? valueProblem : 'Encrypted at rest and never shown again, here or anywhere.'}
            </p>
          </div>
          <div class="row secret-form-actions">
            <button type="submit" class="button button-primary" disabled={saving}>
              {saving ? 'Saving…' : 'Save secret'}
            </button>
            {(key !== '' || value !== '') && (
              <button
                type="button"
                class="button button-ghost"
                onClick={() => {
                  setKey('');
                  setValue('');
                  setTouched(false);
                  setError(null);
                }}
              >
                Cancel
              </button>
            )}
          </div>
          {error !== null && <ErrorBanner error={error} title="The secret was not saved" />}
        </form>
      </Card>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting ?? ''}?`}
        confirmLabel="Delete secret"
        danger
        busy={deleteBusy}
        onConfirm={remove}
        onCancel={() => setDeleting(null)}
      >
        <p>
          The function stops seeing <code>env.{deleting}</code> from its next instance on. The value cannot be recovered.
        </p>
        {deletingRow?.declared === true && <p class="help">The manifest declares it, so it will show as missing.</p>}
        {deleteError !== null && <ErrorBanner error={deleteError} title="Not deleted" />}
      </ConfirmDialog>
    </div>
  );
}
