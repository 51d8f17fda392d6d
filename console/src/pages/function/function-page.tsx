import { lazy, Suspense } from 'preact/compat';
import { Link } from 'wouter-preact';
import { apiPath } from '../../api/client.js';
import type { FunctionSummary } from '../../api/types.js';
import { useApi } from '../../api/use-api.js';
import { formatTime, shortHash } from '../../components/format.js';
import { Badge, ErrorBanner, HealthBadge, PageHeader, Spinner } from '../../components/ui.js';
import { OverviewTab } from './overview-tab.js';
import { TrafficTab } from './traffic-tab.js';
import { SecretsTab } from './secrets-tab.js';
import { InvokeTab } from './invoke-tab.js';
import { LogsTab } from './logs-tab.js';

// The tabs that hold CodeMirror (most of the bundle) load when first opened: the lists and the
// overview do not wait for an editor.
const CodeTab = lazy(() => import('./code-tab.js').then((module) => module.CodeTab));
const DeployTab = lazy(() => import('./deploy-tab.js').then((module) => module.DeployTab));
const VersionsTab = lazy(() => import('./versions-tab.js').then((module) => module.VersionsTab));

export interface TabProps {
  fn: FunctionSummary;
  /** Reload the function (after a deploy, rollback, alias or secret change). */
  reload: () => void;
}

const tabs: { id: string; label: string; render: (props: TabProps) => preact.JSX.Element }[] = [
  { id: 'overview', label: 'Overview', render: (props) => <OverviewTab {...props} /> },
  { id: 'code', label: 'Code', render: (props) => <CodeTab {...props} /> },
  { id: 'deploy', label: 'Deploy', render: (props) => <DeployTab {...props} /> },
  { id: 'versions', label: 'Versions', render: (props) => <VersionsTab {...props} /> },
  { id: 'traffic', label: 'Traffic', render: (props) => <TrafficTab {...props} /> },
  { id: 'invoke', label: 'Test invoke', render: (props) => <InvokeTab {...props} /> },
  { id: 'logs', label: 'Logs', render: (props) => <LogsTab {...props} /> },
  { id: 'secrets', label: 'Secrets', render: (props) => <SecretsTab {...props} /> },
];

/** One function: a header with its state, and a tab per concern (the tab is in the URL). */
export function FunctionPage(props: { name: string; tab: string }) {
  const { data: fn, error, reload } = useApi<FunctionSummary>(apiPath(`/functions/${encodeURIComponent(props.name)}`, { stats: true }), 15_000);
  const current = tabs.find((tab) => tab.id === props.tab) ?? tabs[0]!;

  if (fn === null) {
    return (
      <>
        <PageHeader title={props.name} subtitle={<Link href="/functions">← Functions</Link>} />
        {error !== null ? <ErrorBanner error={error} /> : <Spinner />}
      </>
    );
  }
  return (
    <>
      <PageHeader
        title={
          <>
            {fn.name} <HealthBadge status={fn.health?.status} reason={fn.health?.reason ?? null} />
          </>
        }
        subtitle={
          <>
            <Link href="/functions">Functions</Link> · version {fn.version} · <code title={fn.codeHash}>{shortHash(fn.codeHash)}</code> · deployed {formatTime(fn.createdAt)}
            {fn.manifest.public && (
              <>
                {' '}
                · <Badge kind="info">public</Badge>
              </>
            )}
          </>
        }
      />
      {error !== null && <ErrorBanner error={error} />}
      {fn.health?.reason != null && (fn.health.status === 'quarantined' || fn.health.status === 'failing') && (
        <div class="banner banner-error" role="alert">
          {fn.health.reason}
        </div>
      )}
      <nav class="tabs" aria-label={`${fn.name} sections`}>
        {tabs.map((tab) => (
          <Link key={tab.id} href={`/functions/${fn.name}/${tab.id}`} class={`tab ${tab.id === current.id ? 'active' : ''}`} aria-current={tab.id === current.id ? 'page' : undefined}>
            {tab.label}
          </Link>
        ))}
      </nav>
      <div class="tab-panel">
        <Suspense fallback={<Spinner label="Loading the editor…" />}>{current.render({ fn, reload })}</Suspense>
      </div>
    </>
  );
}
