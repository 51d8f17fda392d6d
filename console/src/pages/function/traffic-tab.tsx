import { useState } from 'preact/hooks';
import { api } from '../../api/client.js';
import type { VersionInfo } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { relativeTime } from '../../components/format.js';
import { Card, ErrorBanner, Field, Spinner } from '../../components/ui.js';
import { useSession } from '../../session-context.js';
import { AliasEditor } from './code/alias-editor.js';
import { aliasNamePattern, aliasNameRule, sortedAliases } from './code/aliases.js';
import type { TabProps } from './function-page.js';
import { useVersionList } from './use-version-list.js';

/** Aliases and how each splits its traffic between versions (canaries), plus new aliases. */
export function TrafficTab(props: TabProps) {
  const { fn } = props;
  // A deploy elsewhere adds versions to choose from; a saved alias reloads `fn`, which lists them again.
  const { data, error } = useVersionList(fn);

  return (
    <div class="stack traffic">
      <p class="help traffic-intro">
        An alias points at one version or splits its traffic between versions by weight (a canary). Requests use <code>latest</code> unless they send an{' '}
        <code>X-Isola-Alias</code> header naming another alias. Changes take effect within a second.
      </p>
      <ErrorBanner error={error} title="The versions could not be loaded" />
      {data === null ? (
        error === null && <Spinner label="Loading versions…" />
      ) : (
        <>
          {sortedAliases(fn.aliases).map(([alias, target]) => (
            <AliasEditor key={`${fn.name}:${alias}:${JSON.stringify(target)}`} functionName={fn.name} alias={alias} target={target} versions={data.versions} onSaved={props.reload} />
          ))}
          <NewAlias functionName={fn.name} existing={Object.keys(fn.aliases)} versions={data.versions} onCreated={props.reload} />
        </>
      )}
    </div>
  );
}

function NewAlias(props: { functionName: string; existing: string[]; versions: VersionInfo[]; onCreated: () => void }) {
  const { toast } = useSession();
  const [name, setName] = useState('');
  const [version, setVersion] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, error: failure, run } = useAction();
  const chosen = version ?? props.versions[0]?.version ?? null;

  const check = (value: string): string | null => {
    if (value === '') return 'Type a name, like stable or canary.';
    if (!aliasNamePattern.test(value)) return aliasNameRule;
    if (props.existing.includes(value)) return `${value} exists already: change its traffic above.`;
    return null;
  };

  const create = async (event: Event) => {
    event.preventDefault();
    const value = name.trim();
    const found = check(value);
    setProblem(found);
    if (found !== null || chosen === null) return;
    await run(async () => {
      await api(`/api/v1/functions/${encodeURIComponent(props.functionName)}/aliases/${encodeURIComponent(value)}`, { method: 'PUT', body: { version: chosen } });
      toast(`Alias ${value} now serves version ${chosen}`);
      setName('');
      setVersion(null);
      props.onCreated();
    });
  };

  return (
    <Card title="New alias">
      <form class="new-alias" onSubmit={create} noValidate>
        <Field id="new-alias-name" label="Alias name">
          <input
            class="mono"
            placeholder="stable"
            value={name}
            maxLength={63}
            autoComplete="off"
            spellcheck={false}
            aria-invalid={problem !== null}
            aria-describedby="new-alias-help"
            onInput={(event) => {
              const value = event.currentTarget.value;
              setName(value);
              setProblem(value === '' ? null : check(value.trim()));
            }}
          />
        </Field>
        <Field id="new-alias-version" label="Version for the new alias">
          <select value={chosen ?? ''} onChange={(event) => setVersion(Number(event.currentTarget.value))}>
            {props.versions.map((entry) => (
              <option key={entry.version} value={entry.version}>
                Version {entry.version} · {relativeTime(entry.createdAt)}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="button" disabled={busy || chosen === null}>
          Create alias
        </button>
      </form>
      <p id="new-alias-help" class={problem !== null ? 'field-error' : 'help'} role={problem !== null ? 'alert' : undefined}>
        {problem ?? `${aliasNameRule} Callers choose it with the X-Isola-Alias header.`}
      </p>
      <ErrorBanner error={failure} title="The alias was not created" />
    </Card>
  );
}
