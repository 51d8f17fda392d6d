import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { apiPath } from '../../api/client.js';
import { useApi } from '../../api/use-api.js';
import { CopyButton } from '../../components/copy-button.js';
import { formatBytes, formatMs, formatTime, relativeTime } from '../../components/format.js';
import { clockTime } from '../../components/logs/log-view.js';
import { Badge, Card, ErrorBanner, PageHeader, Spinner } from '../../components/ui.js';
import { logsRoute } from '../function/ops/logs-link.js';
import { shortId, triggerLabel, type DetailedRecord, type RecordAttempt, type RecordError, type RecordLogLine } from './record.js';

const finalStatuses = new Set(['succeeded', 'failed']);

/** One invocation's record: what ran, how long each part took, every try, the result or error, the logs. */
export function InvocationDetail(props: { id: string }) {
  // Queued and retrying invocations change: look again every 3 s until they end.
  const [polling, setPolling] = useState(false);
  const { data: record, error } = useApi<DetailedRecord>(apiPath(`/invocations/${encodeURIComponent(props.id)}`), polling ? 3000 : undefined);
  const pending = record !== null && !finalStatuses.has(record.status);
  useEffect(() => setPolling(pending), [pending]);

  const back = (
    <Link href="/invocations" class="button button-ghost button-small">
      ← Search
    </Link>
  );
  if (record === null) {
    return (
      <>
        <PageHeader title="Invocation" subtitle={<code>{props.id}</code>} actions={back} />
        {error === null ? (
          <Spinner label="Loading the record…" />
        ) : (
          <>
            <ErrorBanner error={error} title={error.status === 404 ? 'No record of this invocation' : 'The record could not be loaded'} />
            {error.status === 404 && (
              <p class="muted">
                Check the ID: it is the <code>x-isola-invocation-id</code> header of the response (or the <code>invocationId</code> of an async submission). Older records
                expire: <Link href="/invocations">search the function's recent invocations</Link> instead.
              </p>
            )}
          </>
        )}
      </>
    );
  }

  const fnPath = `/functions/${encodeURIComponent(record.function)}`;
  const logsHref = logsRoute(record.function, record.id);
  return (
    <>
      <PageHeader
        title={
          <>
            Invocation <span class="mono title-id">{shortId(record.id)}</span> <Badge kind={record.status}>{record.status}</Badge>
          </>
        }
        subtitle={
          <>
            <Link href={fnPath}>{record.function}</Link> · <Link href={`${fnPath}/versions`}>version {record.version}</Link> · {triggerLabel(record.trigger)}
            {record.startedAt !== undefined && (
              <>
                {' '}
                · <span title={formatTime(record.startedAt)}>{relativeTime(record.startedAt)}</span>
              </>
            )}
          </>
        }
        actions={
          <>
            {back}
            <Link href={logsHref} class="button button-small">
              Logs of this invocation
            </Link>
          </>
        }
      />
      {record.error !== undefined && <ErrorCard error={record.error} />}
      <div class="grid-2 detail-grid">
        <SummaryCard record={record} />
        <TimingsCard record={record} />
      </div>
      <AttemptsCard record={record} />
      {record.request !== undefined && <RequestCard request={record.request} />}
      {record.result !== undefined && <ResultCard record={record} />}
      <LogsCard record={record} logsHref={logsHref} />
      <details class="card raw-record">
        <summary>Raw record (JSON)</summary>
        <pre class="code-block">{JSON.stringify(record, null, 2)}</pre>
      </details>
    </>
  );
}

function SummaryCard(props: { record: DetailedRecord }) {
  const { record } = props;
  const fnPath = `/functions/${encodeURIComponent(record.function)}`;
  return (
    <Card title="Summary">
      <dl class="facts">
        <dt>ID</dt>
        <dd class="fact-id">
          <code>{record.id}</code> <CopyButton text={record.id} ariaLabel="Copy invocation ID" class="button-ghost button-small" />
        </dd>
        <dt>Status</dt>
        <dd>
          <Badge kind={record.status}>{record.status}</Badge>
          {record.httpStatus !== undefined && <span class="muted"> · HTTP {record.httpStatus}</span>}
        </dd>
        <dt>Function</dt>
        <dd>
          <Link href={fnPath}>{record.function}</Link>
        </dd>
        <dt>Version</dt>
        <dd>
          <Link href={`${fnPath}/versions`}>v{record.version}</Link>
        </dd>
        <dt>Trigger</dt>
        <dd>{triggerLabel(record.trigger)}</dd>
        <dt>Started</dt>
        <dd>{record.startedAt === undefined ? '–' : `${formatTime(record.startedAt)} (${relativeTime(record.startedAt)})`}</dd>
        <dt>Duration</dt>
        <dd>{formatMs(record.durationMs)}</dd>
        <dt>Start</dt>
        <dd>{record.coldStart === true ? <Badge kind="info">cold start</Badge> : record.coldStart === false ? 'warm (instance reused)' : '–'}</dd>
        {record.workerId !== undefined && (
          <>
            <dt>Worker</dt>
            <dd class="mono">{record.workerId}</dd>
          </>
        )}
      </dl>
    </Card>
  );
}

function TimingsCard(props: { record: DetailedRecord }) {
  const timings = props.record.timings;
  if (timings === undefined) {
    return (
      <Card title="Timings">
        <p class="muted">This record has no timings.</p>
      </Card>
    );
  }
  const total = Math.max(props.record.durationMs ?? 0, timings.platformMs + timings.runMs, 0.001);
  // platformMs includes the load (durationMs − runMs): split it to show both.
  const parts = [
    { key: 'platform', label: 'Platform', ms: Math.max(0, timings.platformMs - timings.loadMs), help: 'routing, queueing and the record' },
    { key: 'load', label: 'Code load', ms: timings.loadMs, help: 'compiling the bundle on a cold start' },
    { key: 'run', label: 'Function', ms: timings.runMs, help: 'your handler, wall time' },
  ];
  return (
    <Card title="Timings">
      <div class="timing-bar" role="img" aria-label={parts.map((part) => `${part.label} ${formatMs(part.ms)}`).join(', ')}>
        {parts.map((part) => (part.ms > 0 ? <span key={part.key} class={`timing-${part.key}`} style={{ width: `${Math.max(1.5, (part.ms / total) * 100)}%` }} title={`${part.label}: ${formatMs(part.ms)}`} /> : null))}
      </div>
      <dl class="facts timing-facts">
        {parts.map((part) => (
          <Fragment key={part.key}>
            <dt>
              <span class={`timing-swatch timing-${part.key}`} aria-hidden="true" />
              {part.label}
            </dt>
            <dd>
              {formatMs(part.ms)} <span class="muted small">{part.help}</span>
            </dd>
          </Fragment>
        ))}
        {timings.cpuMs !== undefined && (
          <>
            <dt>CPU</dt>
            <dd>
              {formatMs(timings.cpuMs)} <span class="muted small">on-CPU time of the handler</span>
            </dd>
          </>
        )}
        <dt>Total</dt>
        <dd class="strong">{formatMs(props.record.durationMs)}</dd>
      </dl>
    </Card>
  );
}

function ErrorCard(props: { error: RecordError }) {
  const stack = typeof props.error.details?.stack === 'string' ? props.error.details.stack : null;
  const otherDetails = props.error.details === undefined ? {} : Object.fromEntries(Object.entries(props.error.details).filter(([key]) => key !== 'stack' && key !== 'name'));
  return (
    <section class="card error-card" aria-labelledby="invocation-error-title">
      <div class="card-header">
        <h2 id="invocation-error-title">
          Error <code class="error-code-title">{props.error.code}</code>
        </h2>
      </div>
      <p class="error-message">{props.error.message}</p>
      {stack !== null && <pre class="code-block error-stack">{stack}</pre>}
      {Object.keys(otherDetails).length > 0 && <pre class="code-block">{JSON.stringify(otherDetails, null, 2)}</pre>}
    </section>
  );
}

function AttemptsCard(props: { record: DetailedRecord }) {
  const attempts = props.record.attempts ?? [];
  const async = props.record.async;
  return (
    <Card
      title={`Attempts (${attempts.length})`}
      actions={
        async === undefined ? undefined : (
          <span class="muted small">
            async · accepted {formatTime(async.submittedAt)} · up to {async.maxAttempts} tries per delivery
          </span>
        )
      }
    >
      {attempts.length === 0 ? (
        <p class="muted">No try has run yet{async?.nextAttemptAt === undefined ? '.' : `: the first is due ${relativeTime(async.nextAttemptAt)}.`}</p>
      ) : (
        <ol class="attempts">
          {attempts.map((attempt) => (
            <AttemptItem key={attempt.attempt} attempt={attempt} />
          ))}
          {async?.nextAttemptAt !== undefined && (
            <li class="attempt attempt-next">
              <span class="attempt-dot" aria-hidden="true" />
              <div>
                <strong>Next try</strong> <span class="muted">due {relativeTime(async.nextAttemptAt)} ({formatTime(async.nextAttemptAt)})</span>
              </div>
            </li>
          )}
        </ol>
      )}
    </Card>
  );
}

function AttemptItem(props: { attempt: RecordAttempt }) {
  const { attempt } = props;
  return (
    <li class={`attempt attempt-${attempt.status}`}>
      <span class="attempt-dot" aria-hidden="true" />
      <div class="attempt-body">
        <div class="row attempt-head">
          <strong>Try {attempt.attempt}</strong>
          <Badge kind={attempt.status}>{attempt.status}</Badge>
          <span class="muted small">
            {formatTime(attempt.startedAt)} · {formatMs(attempt.durationMs)}
            {attempt.workerId !== undefined && ` · ${attempt.workerId}`}
          </span>
        </div>
        {attempt.error !== undefined && (
          <div class="attempt-error">
            <code>{attempt.error.code}</code> {attempt.error.message}
          </div>
        )}
      </div>
    </li>
  );
}

function RequestCard(props: { request: NonNullable<DetailedRecord['request']> }) {
  const { request } = props;
  const headers = Array.isArray(request.headers) ? request.headers : Object.entries(request.headers ?? {});
  return (
    <Card title="Request">
      <p>
        <code>
          {request.method ?? ''} {request.path ?? request.url ?? ''}
        </code>
        {request.bodyBytes !== undefined && <span class="muted small"> · body {formatBytes(request.bodyBytes)}</span>}
      </p>
      {headers.length > 0 && <HeaderList headers={headers} summary={`${headers.length} request header${headers.length === 1 ? '' : 's'}`} />}
    </Card>
  );
}

function HeaderList(props: { headers: [string, string][]; summary: string; truncated?: boolean }) {
  return (
    <details class="headers">
      <summary>{props.summary}</summary>
      <table class="header-table">
        <tbody>
          {props.headers.map(([name, value], index) => (
            <tr key={`${name}-${index}`}>
              <th scope="row" class="mono">
                {name}
              </th>
              <td class="mono">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.truncated === true && <p class="help">Some headers were left out to keep the record small.</p>}
    </details>
  );
}

function ResultCard(props: { record: DetailedRecord }) {
  const result = props.record.result!;
  const [pretty, setPretty] = useState(true);
  const contentType = result.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  let body = result.body;
  let isJson = false;
  if (!result.bodyTruncated && contentType.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      isJson = true;
      if (pretty) body = JSON.stringify(parsed, null, 2);
    } catch {
      // shown as sent
    }
  }
  return (
    <Card
      title="Result"
      actions={
        isJson && (
          <button type="button" class="button button-ghost button-small" onClick={() => setPretty(!pretty)} aria-pressed={pretty}>
            Pretty JSON
          </button>
        )
      }
    >
      <p class="row result-head">
        <Badge kind={result.status >= 500 ? 'bad' : result.status >= 400 ? 'warn' : 'ok'}>HTTP {result.status}</Badge>
        <span class="muted">
          {formatBytes(result.bodyBytes)}
          {contentType !== '' && ` · ${contentType}`}
        </span>
      </p>
      {result.headers.length > 0 && <HeaderList headers={result.headers} summary={`${result.headers.length} response header${result.headers.length === 1 ? '' : 's'}`} truncated={result.headersTruncated === true} />}
      {result.bodyBytes === 0 ? (
        <p class="muted">Empty body.</p>
      ) : (
        <>
          <pre class="code-block" aria-label="Response body">
            {body}
          </pre>
          {result.bodyTruncated && <p class="help">The record keeps the body's first 4 KiB; the whole body was {formatBytes(result.bodyBytes)}.</p>}
        </>
      )}
    </Card>
  );
}

function levelClass(level: string): string {
  return level === 'log' ? 'info' : level;
}

function LogsCard(props: { record: DetailedRecord; logsHref: string }) {
  const logs: RecordLogLine[] = props.record.logs ?? [];
  return (
    <Card
      title={`Logs (${logs.length}${props.record.logsTruncated === true ? '+' : ''})`}
      actions={
        <Link href={props.logsHref} class="small">
          Open in the Logs tab →
        </Link>
      }
    >
      {logs.length === 0 ? (
        <p class="muted">This invocation wrote no log lines.</p>
      ) : (
        <div class="record-logs" role="log" aria-label="Log lines of this invocation">
          {logs.map((line, index) => (
            <div key={index} class="log-line">
              <span class="log-time">{clockTime(line.time)}</span>
              <span class={`log-level-${levelClass(line.level)}`}>{line.level}</span>
              <span>{line.message}</span>
            </div>
          ))}
        </div>
      )}
      {props.record.logsTruncated === true && (
        <p class="help">
          The record keeps the first lines only; <Link href={props.logsHref}>the Logs tab</Link> has them all.
        </p>
      )}
    </Card>
  );
}
