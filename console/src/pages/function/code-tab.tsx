import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import type { VersionDetail } from '../../api/types.js';
import { useApi } from '../../api/use-api.js';
import { CodeView } from '../../components/editor/code-view.js';
import { formatBytes, formatTime, relativeTime, shortHash } from '../../components/format.js';
import { Card, ErrorBanner, Spinner } from '../../components/ui.js';
import { defaultAlias, describeTarget } from './code/aliases.js';
import { FileTabs } from './code/file-tabs.js';
import { manifestFile, versionFiles } from './code/manifest-yaml.js';
import type { TabProps } from './function-page.js';

/** The sources and manifest of the version `latest` serves, read-only. */
export function CodeTab(props: TabProps) {
  const { fn } = props;
  const [, navigate] = useLocation();
  const { data: detail, error, reload } = useApi<VersionDetail>(`/api/v1/functions/${encodeURIComponent(fn.name)}/versions/${fn.version}`);
  const files = useMemo(() => (detail === null || detail.version !== fn.version ? null : versionFiles(detail)), [detail, fn.version]);
  const [active, setActive] = useState<string | null>(null);

  // Open the main file first; keep the choice while the same file exists.
  useEffect(() => {
    if (files === null) return;
    if (active === null || !files.some(([path]) => path === active)) setActive(files.find(([path]) => path === fn.manifest.main)?.[0] ?? files[0]?.[0] ?? null);
  }, [files, active, fn.manifest.main]);

  const editButton = (
    <button type="button" class="button button-primary" onClick={() => navigate(`/functions/${fn.name}/deploy`)}>
      Edit and deploy
    </button>
  );

  if (files === null) {
    return (
      <Card title={`Version ${fn.version}`} actions={editButton}>
        {error !== null ? (
          <>
            <ErrorBanner error={error} title={`The sources of version ${fn.version} could not be loaded`} />
            <button type="button" class="button" onClick={reload}>
              Try again
            </button>
          </>
        ) : (
          <Spinner label="Loading the sources…" />
        )}
      </Card>
    );
  }

  const latest = fn.aliases[defaultAlias];
  const shown = files.find(([path]) => path === active) ?? files[0]!;
  const sourceBytes = files.filter(([path]) => path !== manifestFile).reduce((sum, [, text]) => sum + new TextEncoder().encode(text).length, 0);
  return (
    <section class="card code-card">
      <div class="card-header">
        <div class="card-title-line">
          <h2>Version {detail!.version}</h2>
          <span class="muted code-meta">
            <code title={detail!.codeHash}>{shortHash(detail!.codeHash)}</code> · <span title={formatTime(detail!.createdAt)}>{relativeTime(detail!.createdAt)}</span>
            {detail!.author !== null && <> · by {detail!.author}</>} · {files.length - 1} {files.length === 2 ? 'file' : 'files'}, {formatBytes(sourceBytes)}
          </span>
        </div>
        <div class="actions">{editButton}</div>
      </div>
      {latest !== undefined && 'weights' in latest && (
        <p class="help code-split-note">
          <code>latest</code> splits its traffic ({describeTarget(latest)}); this is version {fn.version}, the one with the largest share.
        </p>
      )}
      <FileTabs label="Files of this version" paths={files.map(([path]) => path)} active={shown[0]} onSelect={setActive} />
      <p class="help code-hint">
        {shown[0] === manifestFile
          ? 'The manifest as the platform keeps it, defaults filled in.'
          : shown[0] === fn.manifest.main
            ? 'The entry file (manifest main): its default export holds the handlers.'
            : 'Read-only. Edit and deploy to change it.'}
      </p>
      <CodeView key={shown[0]} path={shown[0]} source={shown[1]} label={`${shown[0]} of version ${detail!.version} (read-only)`} />
    </section>
  );
}
