import { Fragment } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { apiPath } from '../api/client.js';
import type { FunctionSummary } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { formatCount, formatMs, formatPercent, formatTime, relativeTime } from '../components/format.js';
import { Empty, ErrorBanner, HealthBadge, PageHeader, Spinner, StatTile } from '../components/ui.js';
import { useSession } from '../session-context.js';
import { NewFunctionDialog } from './list/new-function-dialog.js';
import { SortHeader, type SortState } from './list/sort-header.js';
import { matchesQuery, TriggerChips } from './list/triggers.js';

type SortKey = 'name' | 'invocations' | 'errorRate' | 'p99';

/** Above this share of failed invocations the rate shows in red. */
const errorRateAlarm = 0.05;

function errorRate(fn: FunctionSummary): number | null {
  const stats = fn.stats;
  if (stats === undefined) return null;
  return stats.invocations === 0 ? 0 : stats.errors / stats.invocations;
}

function sortValue(fn: FunctionSummary, key: SortKey): number | string {
  switch (key) {
    case 'name':
      return fn.name;
    case 'invocations':
      return fn.stats?.invocations ?? -1;
    case 'errorRate':
      return errorRate(fn) ?? -1;
    case 'p99':
      return fn.stats === undefined || fn.stats.invocations === 0 ? -1 : fn.stats.p99Ms;
  }
}

function compare(a: FunctionSummary, b: FunctionSummary, sort: SortState<SortKey>): number {
  const left = sortValue(a, sort.key);
  const right = sortValue(b, sort.key);
  const order = typeof left === 'string' && typeof right === 'string' ? left.localeCompare(right) : (left as number) - (right as number);
  const directed = sort.direction === 'asc' ? order : -order;
  return directed !== 0 ? directed : a.name.localeCompare(b.name);
}

const needsAttention = (fn: FunctionSummary) => fn.health !== undefined && ['degraded', 'failing', 'quarantined'].includes(fn.health.status);

/** Focuses the search box on `/` unless the user is typing somewhere. */
function useSlashFocus(target: { current: HTMLInputElement | null }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      const active = document.activeElement as HTMLElement | null;
      if (active !== null && (active.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(active.tagName))) return;
      if (document.querySelector('dialog[open]') !== null) return;
      event.preventDefault();
      target.current?.focus();
      target.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [target]);
}

/** Every function at a glance: health, triggers and the last hour's traffic. */
export function FunctionsPage() {
  const { caller } = useSession();
  const { data, error, loading, reload } = useApi<{ functions: FunctionSummary[] }>(apiPath('/functions', { stats: true }), 15_000);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortState<SortKey>>({ key: 'name', direction: 'asc' });
  const [creating, setCreating] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  useSlashFocus(searchRef);

  const functions = useMemo(() => data?.functions ?? [], [data]);
  const shown = useMemo(() => functions.filter((fn) => matchesQuery(fn, query)).sort((a, b) => compare(a, b, sort)), [functions, query, sort]);
  const canDeploy = caller.role !== 'invoker';

  const newButton = canDeploy && (
    <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
      <span aria-hidden="true" class="plus">+</span> New function
    </button>
  );

  return (
    <>
      <PageHeader
        title="Functions"
        subtitle={caller.namespace === null ? 'Health and the last hour of traffic, refreshed every 15 seconds.' : `Functions in namespace ${caller.namespace}, refreshed every 15 seconds.`}
        actions={newButton}
      />
      <ErrorBanner error={error} title={data === null ? 'The functions could not be loaded' : 'Refreshing failed — showing the last answer'} />
      {data === null ? (
        loading ? <Spinner label="Loading functions…" /> : error !== null && (
          <button type="button" class="button" onClick={reload}>
            Try again
          </button>
        )
      ) : functions.length === 0 ? (
        <section class="card">
          <Empty title="No functions yet">
            <p class="empty-text">
              Deploy one from a terminal with <code>isola deploy</code> in a folder holding <code>isola.yaml</code> and its code, or start from a template
              here and edit it in the function's Deploy tab.
            </p>
            {newButton}
          </Empty>
        </section>
      ) : (
        <>
          <SummaryTiles functions={functions} />
          <section class="card flush">
            <div class="list-toolbar">
              <label for="function-search" class="visually-hidden">
                Search functions
              </label>
              <div class="search-box">
                <span class="search-icon" aria-hidden="true">
                  ⌕
                </span>
                <input
                  id="function-search"
                  ref={searchRef}
                  type="search"
                  class="search"
                  placeholder="Search by name, trigger or binding…"
                  value={query}
                  onInput={(event) => setQuery(event.currentTarget.value)}
                  autocomplete="off"
                  spellcheck={false}
                  aria-describedby="function-search-hint"
                />
                {query === '' && (
                  <kbd class="search-kbd hide-narrow" aria-hidden="true">
                    /
                  </kbd>
                )}
              </div>
              <span id="function-search-hint" class="muted list-count" aria-live="polite">
                {query.trim() === '' ? `${functions.length} function${functions.length === 1 ? '' : 's'}` : `${shown.length} of ${functions.length} match`}
                <span class="visually-hidden">. Press / to search.</span>
              </span>
            </div>
            {shown.length === 0 ? (
              <Empty title={`No function matches “${query.trim()}”`}>
                <p class="empty-text">The search looks at names, triggers (http, cron, queue topics) and binding types (state, pubsub, service…).</p>
                <button type="button" class="button button-small" onClick={() => setQuery('')}>
                  Clear search
                </button>
              </Empty>
            ) : (
              <FunctionsTable functions={shown} sort={sort} onSort={setSort} />
            )}
          </section>
        </>
      )}
      {creating && <NewFunctionDialog existing={functions.map((fn) => fn.name)} onClose={() => setCreating(false)} />}
    </>
  );
}

function SummaryTiles(props: { functions: FunctionSummary[] }) {
  const withStats = props.functions.filter((fn) => fn.stats !== undefined);
  const hasStats = withStats.length > 0;
  const invocations = withStats.reduce((sum, fn) => sum + (fn.stats?.invocations ?? 0), 0);
  const errors = withStats.reduce((sum, fn) => sum + (fn.stats?.errors ?? 0), 0);
  const rate = invocations === 0 ? 0 : errors / invocations;
  const attention = props.functions.filter(needsAttention);
  const hasHealth = props.functions.some((fn) => fn.health !== undefined);
  return (
    <div class="grid-4 summary-tiles">
      <StatTile label="Functions" value={props.functions.length} />
      <StatTile label="Invocations, last hour" value={hasStats ? formatCount(invocations) : '–'} />
      <StatTile
        label="Error rate, last hour"
        value={hasStats ? formatPercent(rate) : '–'}
        tone={hasStats && rate > errorRateAlarm ? 'bad' : undefined}
        detail={hasStats && errors > 0 ? `${formatCount(errors)} failed` : undefined}
      />
      <StatTile
        label="Need attention"
        value={hasHealth ? attention.length : '–'}
        tone={attention.length > 0 ? 'warn' : undefined}
        detail={
          attention.length > 0 ? (
            <span class="attention-names">
              {attention.slice(0, 3).map((fn, index) => (
                <Fragment key={fn.name}>
                  {index > 0 && ', '}
                  <Link href={`/functions/${encodeURIComponent(fn.name)}`}>{fn.name}</Link>
                </Fragment>
              ))}
              {attention.length > 3 && ` +${attention.length - 3}`}
            </span>
          ) : undefined
        }
      />
    </div>
  );
}

function FunctionsTable(props: { functions: FunctionSummary[]; sort: SortState<SortKey>; onSort: (sort: SortState<SortKey>) => void }) {
  const { sort, onSort } = props;
  return (
    <div class="table-wrap">
      <table class="functions-table">
        <caption class="visually-hidden">Functions, with the last hour's invocations, error rate and p99 latency</caption>
        <thead>
          <tr>
            <SortHeader column="name" sort={sort} onSort={onSort}>
              Name
            </SortHeader>
            <th class="hide-narrow">Version</th>
            <th class="hide-narrow">Triggers</th>
            <SortHeader column="invocations" sort={sort} onSort={onSort} firstDirection="desc" class="num">
              Invocations
            </SortHeader>
            <SortHeader column="errorRate" sort={sort} onSort={onSort} firstDirection="desc" class="num">
              Error rate
            </SortHeader>
            <SortHeader column="p99" sort={sort} onSort={onSort} firstDirection="desc" class="num hide-narrow">
              p99
            </SortHeader>
          </tr>
        </thead>
        <tbody>
          {props.functions.map((fn) => (
            <FunctionRow key={fn.name} fn={fn} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FunctionRow(props: { fn: FunctionSummary }) {
  const { fn } = props;
  const rate = errorRate(fn);
  const stats = fn.stats;
  const health = fn.health;
  const showReason = health?.reason != null && (health.status === 'failing' || health.status === 'quarantined');
  return (
    <tr>
      <td class="function-cell">
        <div class="function-name">
          <Link href={`/functions/${encodeURIComponent(fn.name)}`} class="strong-link">
            {fn.name}
          </Link>
          {health !== undefined && <HealthBadge status={health.status} reason={health.reason} />}
        </div>
        {showReason && <div class="health-reason">{health.reason}</div>}
        <div class="show-narrow muted small">
          v{fn.version} · {relativeTime(fn.createdAt)}
        </div>
      </td>
      <td class="hide-narrow nowrap">
        <span class="version-number">v{fn.version}</span>{' '}
        <span class="muted small" title={`deployed ${formatTime(fn.createdAt)}`}>
          {relativeTime(fn.createdAt)}
        </span>
      </td>
      <td class="hide-narrow">
        <TriggerChips manifest={fn.manifest} />
      </td>
      <td class="num">{stats === undefined ? '–' : formatCount(stats.invocations)}</td>
      <td class={`num ${rate !== null && rate > errorRateAlarm ? 'text-bad strong' : ''}`} title={stats === undefined ? undefined : `${stats.errors} of ${stats.invocations} failed`}>
        {rate === null || stats === undefined || stats.invocations === 0 ? '–' : formatPercent(rate)}
      </td>
      <td class="num hide-narrow">{stats === undefined || stats.invocations === 0 ? '–' : formatMs(stats.p99Ms)}</td>
    </tr>
  );
}
