import { useMemo } from 'preact/hooks';
import type { VersionDetail } from '../../../api/types.js';
import { useApi } from '../../../api/use-api.js';
import { DiffView, useWideScreen } from '../../../components/editor/diff-view.js';
import { Badge, ErrorBanner, Spinner } from '../../../components/ui.js';
import { versionFiles } from './manifest-yaml.js';

type Status = 'added' | 'removed' | 'changed' | 'unchanged';

interface FileChange {
  path: string;
  status: Status;
  before: string;
  after: string;
}

const statusBadge: Record<Status, string> = { added: 'ok', removed: 'bad', changed: 'warn', unchanged: 'neutral' };

/** What changed between two versions: isola.yaml and every file, side by side or unified. */
export function VersionDiff(props: { name: string; from: number; to: number }) {
  const base = `/api/v1/functions/${encodeURIComponent(props.name)}/versions`;
  const before = useApi<VersionDetail>(`${base}/${props.from}`);
  const after = useApi<VersionDetail>(`${base}/${props.to}`);
  const wide = useWideScreen();

  const changes = useMemo((): FileChange[] | null => {
    if (before.data === null || after.data === null || before.data.version !== props.from || after.data.version !== props.to) return null;
    const a = new Map(versionFiles(before.data));
    const b = versionFiles(after.data);
    const list: FileChange[] = b.map(([path, text]) => {
      const old = a.get(path);
      return { path, status: old === undefined ? 'added' : old === text ? 'unchanged' : 'changed', before: old ?? '', after: text };
    });
    for (const [path, text] of a) if (!b.some(([other]) => other === path)) list.push({ path, status: 'removed', before: text, after: '' });
    return list;
  }, [before.data, after.data, props.from, props.to]);

  const error = before.error ?? after.error;
  if (changes === null) return error !== null ? <ErrorBanner error={error} title="The versions could not be loaded" /> : <Spinner label="Loading both versions…" />;

  const count = (status: Status) => changes.filter((change) => change.status === status).length;
  const differing = changes.filter((change) => change.status !== 'unchanged');
  const unchanged = changes.filter((change) => change.status === 'unchanged');
  const anchor = (path: string) => `diff-${props.from}-${props.to}-${path.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const fromLabel = `version ${props.from}`;
  const toLabel = `version ${props.to}`;

  return (
    <div class="version-diff">
      <p class="diff-summary" aria-live="polite">
        {differing.length === 0 ? (
          <>Versions {props.from} and {props.to} hold the same manifest and files.</>
        ) : (
          <>
            <strong>
              {differing.length} {differing.length === 1 ? 'file differs' : 'files differ'}
            </strong>
            : {(['changed', 'added', 'removed'] as const)
              .filter((status) => count(status) > 0)
              .map((status) => `${count(status)} ${status}`)
              .join(', ')}
            {unchanged.length > 0 && ` · ${unchanged.length} unchanged`}
          </>
        )}
      </p>
      {differing.length > 0 && (
        <ul class="diff-files" aria-label={`Files that differ between version ${props.from} and version ${props.to}`}>
          {differing.map((change) => (
            <li key={change.path}>
              <Badge kind={statusBadge[change.status]}>{change.status}</Badge>{' '}
              <button type="button" class="link-button mono" onClick={() => document.getElementById(anchor(change.path))?.scrollIntoView({ behavior: 'smooth', block: 'start' })}>
                {change.path}
              </button>
            </li>
          ))}
        </ul>
      )}
      {differing.map((change) => (
        <section key={change.path} id={anchor(change.path)} class="diff-file" aria-label={`${change.path}: ${change.status}`}>
          <header class="diff-file-header">
            <span class="mono">{change.path}</span> <Badge kind={statusBadge[change.status]}>{change.status}</Badge>
            {!wide && (
              <span class="muted diff-direction">
                {fromLabel} → {toLabel}
              </span>
            )}
          </header>
          {wide && (
            <div class="diff-sides muted" aria-hidden="true">
              <span>{change.status === 'added' ? `not in ${fromLabel}` : fromLabel}</span>
              <span>{change.status === 'removed' ? `not in ${toLabel}` : toLabel}</span>
            </div>
          )}
          <DiffView path={change.path} original={change.before} modified={change.after} sideBySide={wide} originalLabel={fromLabel} modifiedLabel={toLabel} />
        </section>
      ))}
      {unchanged.length > 0 && (
        <details class="diff-unchanged">
          <summary>
            {unchanged.length} unchanged {unchanged.length === 1 ? 'file' : 'files'}
          </summary>
          <ul>
            {unchanged.map((change) => (
              <li key={change.path} class="mono">
                {change.path}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
