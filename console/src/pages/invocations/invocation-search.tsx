import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link, useLocation, useSearch } from 'wouter-preact';
import { apiPath } from '../../api/client.js';
import type { FunctionSummary } from '../../api/types.js';
import { useApi } from '../../api/use-api.js';
import { formatMs, formatTime, relativeTime } from '../../components/format.js';
import { Badge, Empty, ErrorBanner, Notice, PageHeader, Spinner } from '../../components/ui.js';
import { invocationStatuses, shortId, triggerLabel, type DetailedRecord } from './record.js';
import { parseSearch, rangeProblem, searchQuery, timeRanges, toLocalInput, type SearchState, type TimeRange } from './search-state.js';
import { useInvocationSearch } from './use-invocation-search.js';

const idPattern = /^[0-9a-zA-Z-]{1,64}$/;

/** "14:03:07" today, "Dec 6, 14:03:07" before. */
export function shortTime(iso: string | undefined): string {
  if (iso === undefined) return '–';
  const date = new Date(iso);
  if (!Number.isFinite(date.getTime())) return '–';
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`;
}

/** Search a function's invocation records, or jump to one by id. */
export function InvocationSearchView() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const fromUrl = useMemo(() => parseSearch(search), [search]);
  const functions = useApi<{ functions: FunctionSummary[] }>(apiPath('/functions'));
  const names = useMemo(() => (functions.data?.functions ?? []).map((fn) => fn.name).sort(), [functions.data]);

  // The API lists one function at a time: without one in the URL, the first one is shown.
  const effective: SearchState | null = fromUrl.fn !== '' ? fromUrl : names.length > 0 ? { ...fromUrl, fn: names[0]! } : null;
  const [form, setForm] = useState<SearchState>(fromUrl);
  const [generation, setGeneration] = useState(0);
  const [touched, setTouched] = useState(false);
  // The form follows the URL (a new search, the back button), and the default function once known.
  useEffect(() => setForm(effective ?? fromUrl), [search, effective?.fn]);

  const result = useInvocationSearch(effective !== null && rangeProblem(effective) === null ? effective : null, generation);
  const formProblem = rangeProblem(form);

  const submit = (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (form.fn === '' || formProblem !== null) return;
    const next = searchQuery(form);
    if (next === new URLSearchParams(search).toString()) setGeneration((value) => value + 1);
    else navigate(`/invocations?${next}`);
  };

  const update = (patch: Partial<SearchState>) => setForm((previous) => ({ ...previous, ...patch }));
  const pickRange = (range: TimeRange) => {
    if (range === 'custom' && form.from === '' && form.to === '') {
      const now = Date.now();
      update({ range, from: toLocalInput(now - 3_600_000), to: toLocalInput(now) });
    } else update({ range });
  };

  // On a row of its own with the custom range's fields, so the tab order follows the rows.
  const submitButton = (
    <div class="field search-submit">
      <button type="submit" class="button button-primary" disabled={functions.data === null || names.length === 0}>
        Search
      </button>
    </div>
  );

  return (
    <>
      <PageHeader title="Invocations" subtitle="Every invocation leaves a record: status, timings, attempts, result or error, and its first log lines." />
      <section class="card search-card">
        <form class="search-form" onSubmit={submit} aria-label="Search invocations">
          <div class="search-fields">
            <div class="field">
              <label for="invocation-function">Function</label>
              <select
                id="invocation-function"
                value={form.fn}
                onChange={(event) => update({ fn: (event.target as HTMLSelectElement).value })}
                required
                aria-invalid={touched && form.fn === ''}
                disabled={functions.data === null}
              >
                {functions.data === null && <option value="">Loading…</option>}
                {functions.data !== null && names.length === 0 && <option value="">No functions</option>}
                {form.fn !== '' && !names.includes(form.fn) && functions.data !== null && <option value={form.fn}>{form.fn} (not found)</option>}
                {names.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="invocation-status">Status</label>
              <select id="invocation-status" value={form.status} onChange={(event) => update({ status: (event.target as HTMLSelectElement).value as SearchState['status'] })}>
                <option value="">Any status</option>
                {invocationStatuses.map((status) => (
                  <option key={status} value={status}>
                    {status[0]!.toUpperCase() + status.slice(1)}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="invocation-range">Time range</label>
              <select id="invocation-range" value={form.range} onChange={(event) => pickRange((event.target as HTMLSelectElement).value as TimeRange)}>
                {timeRanges.map((range) => (
                  <option key={range.id} value={range.id}>
                    {range.label}
                  </option>
                ))}
              </select>
            </div>
            {form.range === 'custom' ? (
              <div class="custom-range">
                <div class="field">
                  <label for="invocation-from">From</label>
                  <input id="invocation-from" type="datetime-local" value={form.from} onInput={(event) => update({ from: (event.target as HTMLInputElement).value })} aria-invalid={formProblem !== null} />
                </div>
                <div class="field">
                  <label for="invocation-to">To</label>
                  <input id="invocation-to" type="datetime-local" value={form.to} onInput={(event) => update({ to: (event.target as HTMLInputElement).value })} aria-invalid={formProblem !== null} />
                </div>
                {submitButton}
              </div>
            ) : (
              submitButton
            )}
          </div>
          {formProblem !== null && (
            <p class="help field-error" role="alert">
              {formProblem}
            </p>
          )}
        </form>
        <GoToInvocation />
      </section>
      <ErrorBanner error={functions.error} title="The functions could not be loaded" />
      {functions.data !== null && names.length === 0 ? (
        <section class="card">
          <Empty title="No functions, so no invocations yet">
            <span>
              Deploy a function first (<Link href="/functions">Functions</Link>), then call it: its invocations show up here.
            </span>
          </Empty>
        </section>
      ) : (
        effective !== null && <Results state={effective} result={result} onOpen={(id) => navigate(`/invocations/${encodeURIComponent(id)}`)} />
      )}
    </>
  );
}

function GoToInvocation() {
  const [, navigate] = useLocation();
  const [id, setId] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="go-to-invocation"
      onSubmit={(event) => {
        event.preventDefault();
        const value = id.trim();
        if (!idPattern.test(value)) {
          setProblem('An invocation id is up to 64 letters, digits and dashes (as in the x-isola-invocation-id header).');
          return;
        }
        setProblem(null);
        navigate(`/invocations/${encodeURIComponent(value)}`);
      }}
    >
      <label for="go-to-invocation">Or open an invocation by ID</label>
      <input
        id="go-to-invocation"
        class="mono"
        placeholder="e.g. 1ba7281b-0fc9-4e13-9530-d8b96ee65c63"
        value={id}
        onInput={(event) => setId((event.target as HTMLInputElement).value)}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={problem !== null}
        aria-describedby={problem === null ? undefined : 'go-to-invocation-problem'}
        title="Paste the x-isola-invocation-id of a response"
      />
      <button type="submit" class="button">
        Open
      </button>
      {problem !== null && (
        <p id="go-to-invocation-problem" class="help field-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function Results(props: { state: SearchState; result: ReturnType<typeof useInvocationSearch>; onOpen: (id: string) => void }) {
  const { state, result } = props;
  const range = timeRanges.find((entry) => entry.id === state.range);
  const described = `${state.status === '' ? '' : `${state.status} `}invocations of ${state.fn}${state.range === 'custom' ? ' in the chosen range' : range === undefined ? '' : `, ${range.label.toLowerCase()}`}`;
  return (
    <section class="card flush" aria-label="Search results" aria-busy={result.loading}>
      <div class="card-header">
        <h2>
          {result.records.length > 0 || !result.loading ? `${result.records.length}${result.more ? '+' : ''} ${described}` : `Searching ${described}…`}
        </h2>
        <Link href={`/functions/${encodeURIComponent(state.fn)}/logs`} class="small">
          {state.fn}'s logs →
        </Link>
      </div>
      {result.filteredHere && (
        <div class="card-inset">
          <Notice>This platform does not filter records by time yet: the console filters each page itself, so a page may show fewer rows.</Notice>
        </div>
      )}
      {result.error !== null && (
        <div class="card-inset">
          <ErrorBanner error={result.error} title="The search failed" />
        </div>
      )}
      {result.records.length === 0 ? (
        result.loading ? (
          <div class="card-inset">
            <Spinner label="Searching…" />
          </div>
        ) : (
          result.error === null && (
            <Empty title="No invocations found">
              <span>
                Nothing matches {described}. Widen the time range or the status, or call the function (its <Link href={`/functions/${encodeURIComponent(state.fn)}/invoke`}>Test invoke</Link> tab).
              </span>
            </Empty>
          )
        )
      ) : (
        <>
          <div class="table-wrap">
            <table class="invocations-table">
              <caption class="visually-hidden">Invocations of {state.fn}, newest first. Open one for its details.</caption>
              <thead>
                <tr>
                  <th>Time</th>
                  <th class="hide-narrow">Function</th>
                  <th class="hide-narrow">Version</th>
                  <th class="hide-narrow">Trigger</th>
                  <th>Status</th>
                  <th class="num">Duration</th>
                  <th class="hide-narrow">Cold/warm</th>
                  <th class="hide-narrow">ID</th>
                </tr>
              </thead>
              <tbody>
                {result.records.map((record) => (
                  <InvocationRow key={record.id} record={record} onOpen={props.onOpen} />
                ))}
              </tbody>
            </table>
          </div>
          {result.more && (
            <div class="load-more">
              <button type="button" class="button" onClick={result.loadMore} disabled={result.loading}>
                {result.loading && <span class="spinner-dot" aria-hidden="true" />}
                Load more
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function InvocationRow(props: { record: DetailedRecord; onOpen: (id: string) => void }) {
  const { record } = props;
  const open = (event: MouseEvent) => {
    // Links inside the row keep their own behaviour (and selecting text does not navigate).
    if ((event.target as HTMLElement).closest('a') !== null || (window.getSelection()?.toString() ?? '') !== '') return;
    props.onOpen(record.id);
  };
  return (
    <tr class="clickable" onClick={open}>
      <td class="nowrap" title={record.startedAt === undefined ? undefined : `${formatTime(record.startedAt)} (${relativeTime(record.startedAt)})`}>
        <Link href={`/invocations/${encodeURIComponent(record.id)}`} class="time-link">
          {shortTime(record.startedAt)}
        </Link>
      </td>
      <td class="hide-narrow">{record.function}</td>
      <td class="hide-narrow">v{record.version}</td>
      <td class="hide-narrow nowrap">{triggerLabel(record.trigger)}</td>
      <td>
        <Badge kind={record.status}>{record.status}</Badge>
        {record.error !== undefined && (
          <div class="small muted error-code" title={record.error.message}>
            {record.error.code}
          </div>
        )}
      </td>
      <td class="num nowrap">{formatMs(record.durationMs)}</td>
      <td class="hide-narrow">{record.coldStart === true ? <Badge kind="info">cold</Badge> : record.coldStart === false ? <span class="muted">warm</span> : '–'}</td>
      <td class="hide-narrow">
        <Link href={`/invocations/${encodeURIComponent(record.id)}`} class="mono" aria-label={`Invocation ${record.id}`}>
          {shortId(record.id)}
        </Link>
      </td>
    </tr>
  );
}
