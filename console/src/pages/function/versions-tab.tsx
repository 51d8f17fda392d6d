import { useEffect, useRef, useState } from 'preact/hooks';
import { api, toApiError } from '../../api/client.js';
import type { AliasTarget } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { formatTime, relativeTime, shortHash } from '../../components/format.js';
import { Badge, Card, Empty, ErrorBanner, Notice, Spinner } from '../../components/ui.js';
import { useSession } from '../../session-context.js';
import { aliasLabels, defaultAlias, describeTarget, targetShares } from './code/aliases.js';
import { VersionDiff } from './code/version-diff.js';
import type { TabProps } from './function-page.js';
import { useVersionList } from './use-version-list.js';

interface Rollback {
  /** Undefined: the previous version, as the gateway picks it. */
  version?: number;
  /** The version it lands on, when known beforehand. */
  landsOn: number;
}

/** Every version, what serves what, diffs between them and rollback. */
export function VersionsTab(props: TabProps) {
  return <VersionsOf key={props.fn.name} {...props} />;
}

function VersionsOf(props: TabProps) {
  const { fn } = props;
  const { toast } = useSession();
  // A deploy or rollback (here or elsewhere) changes what latest serves: `fn` shows it and the list follows.
  const { data, error, loading } = useVersionList(fn);
  const [diff, setDiff] = useState<{ from: number; to: number } | null>(null);
  const [pending, setPending] = useState<Rollback | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const { busy, error: failure, run } = useAction();
  const diffCard = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (diff !== null) diffCard.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }, [diff]);

  const versions = data?.versions ?? [];
  const latest: AliasTarget | undefined = fn.aliases[defaultAlias];
  const served = latest === undefined ? [] : [...targetShares(latest).keys()];
  const newestServed = served.length === 0 ? fn.version : Math.max(...served);
  const previous = versions.find((version) => version.version < newestServed)?.version;
  const labels = aliasLabels(fn.aliases);
  const previousOf = (version: number) => versions.find((other) => other.version < version)?.version;

  const rollback = (target: Rollback) => {
    setConflict(null);
    return run(async () => {
      try {
        const moved = await api<{ alias: string; from: AliasTarget; to: AliasTarget }>(`/api/v1/functions/${encodeURIComponent(fn.name)}/rollback`, {
          method: 'POST',
          body: target.version === undefined ? {} : { version: target.version },
        });
        toast(`${moved.alias} now serves ${describeTarget(moved.to)} (was ${describeTarget(moved.from)})`);
        props.reload();
      } catch (caught) {
        // Nothing to roll back to is an answer, not a failure: a notice says why.
        const apiError = toApiError(caught);
        if (apiError.status !== 409) throw apiError;
        setConflict(apiError.message);
      } finally {
        setPending(null);
      }
    });
  };

  const rollBackToPrevious = () => {
    // Nothing older: no question to ask; the gateway answers why (409), shown as a notice.
    if (previous === undefined) void rollback({ landsOn: newestServed });
    else setPending({ landsOn: previous });
  };

  const currentlyServes = latest === undefined ? `version ${fn.version}` : describeTarget(latest);
  const versionOptions = versions.map((version) => version.version);

  return (
    <>
      <Card
        class="flush versions-card"
        title="Versions"
        actions={
          <button type="button" class="button" disabled={busy || data === null} onClick={rollBackToPrevious}>
            Roll back to previous
          </button>
        }
      >
        <div class="versions-intro">
          <p class="help">
            Every deploy is a new, immutable version. <code>latest</code> serves {currentlyServes}; rolling back moves it within a second.
          </p>
          {conflict !== null && (
            <Notice kind="warning">
              <strong>Nothing to roll back to.</strong> <span>{conflict}</span>
            </Notice>
          )}
          <ErrorBanner error={failure} title="The rollback failed" />
          <ErrorBanner error={error} title={data === null ? 'The versions could not be loaded' : 'Refreshing the versions failed'} />
        </div>
        {data === null ? (
          loading && <Spinner label="Loading versions…" />
        ) : versions.length === 0 ? (
          <Empty title="No versions">Deploy one from the Deploy tab.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="versions-table">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col" class="hide-narrow">
                    Deployed
                  </th>
                  <th scope="col" class="hide-narrow">
                    By
                  </th>
                  <th scope="col" class="hide-narrow">
                    Code hash
                  </th>
                  <th scope="col">Serves</th>
                  <th scope="col" class="right">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {versions.map((version) => {
                  const before = previousOf(version.version);
                  const servedAlone = latest !== undefined && 'version' in latest && latest.version === version.version;
                  const showingDiff = diff !== null && diff.to === version.version && diff.from === before;
                  return (
                    <tr key={version.version} class={servedAlone ? 'row-serving' : undefined}>
                      <td class="nowrap">
                        <strong>v{version.version}</strong>
                        <span class="version-when-narrow muted" title={formatTime(version.createdAt)}>
                          {relativeTime(version.createdAt)}
                        </span>
                      </td>
                      <td class="nowrap hide-narrow">
                        <span title={formatTime(version.createdAt)}>{relativeTime(version.createdAt)}</span>
                      </td>
                      <td class="hide-narrow">{version.author ?? <span class="muted">–</span>}</td>
                      <td class="hide-narrow">
                        <code title={version.codeHash}>{shortHash(version.codeHash)}</code>
                      </td>
                      <td>
                        <span class="alias-badges">
                          {(labels.get(version.version) ?? []).map((label) => (
                            <Badge key={label} kind={label.startsWith(defaultAlias) ? 'info' : 'neutral'}>
                              {label}
                            </Badge>
                          ))}
                        </span>
                      </td>
                      <td class="right">
                        <span class="row-actions">
                          <button
                            type="button"
                            class="button button-small button-ghost"
                            disabled={before === undefined}
                            title={before === undefined ? 'The first version: nothing before it to compare with' : undefined}
                            aria-label={before === undefined ? `Diff version ${version.version} (first version)` : `Diff version ${version.version} against version ${before}`}
                            aria-pressed={showingDiff}
                            onClick={() => before !== undefined && setDiff(showingDiff ? null : { from: before, to: version.version })}
                          >
                            Diff
                          </button>
                          {!servedAlone && (
                            <button type="button" class="button button-small" disabled={busy} onClick={() => setPending({ version: version.version, landsOn: version.version })}>
                              Roll back to v{version.version}
                            </button>
                          )}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {diff !== null && (
        <div ref={diffCard} class="diff-card-anchor">
          <Card
            class="diff-card"
            title={
              <>
                Changes from version {diff.from} to version {diff.to}
              </>
            }
            actions={
              <>
                <CompareSelect label="From version" value={diff.from} options={versionOptions} onChange={(from) => setDiff({ ...diff, from })} />
                <CompareSelect label="To version" value={diff.to} options={versionOptions} onChange={(to) => setDiff({ ...diff, to })} />
                <button type="button" class="button button-small button-ghost" onClick={() => setDiff(null)}>
                  Close diff
                </button>
              </>
            }
          >
            <VersionDiff key={`${diff.from}-${diff.to}`} name={fn.name} from={diff.from} to={diff.to} />
          </Card>
        </div>
      )}

      {pending !== null && (
        <ConfirmDialog
          title={pending.version === undefined ? `Roll back to the previous version (v${pending.landsOn})?` : `Roll back to v${pending.landsOn}?`}
          confirmLabel={`Roll back to v${pending.landsOn}`}
          danger
          busy={busy}
          onConfirm={() => void rollback(pending)}
          onCancel={() => setPending(null)}
        >
          <p>
            <code>latest</code> serves {currentlyServes} now. After the rollback every request to {fn.name} goes to <strong>version {pending.landsOn}</strong>, within a second. Newer
            versions stay: you can move forward again from here or from the Traffic tab.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CompareSelect(props: { label: string; value: number; options: number[]; onChange: (version: number) => void }) {
  const id = `compare-${props.label.replace(/\s+/g, '-').toLowerCase()}`;
  return (
    <span class="compare-select">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(event) => props.onChange(Number(event.currentTarget.value))}>
        {props.options.map((version) => (
          <option key={version} value={version}>
            v{version}
          </option>
        ))}
      </select>
    </span>
  );
}
