// What came back from a test invocation: status, timings, which instance and version served
// it, and the body.
import { Link } from 'wouter-preact';
import { formatBytes, formatMs } from '../../../components/format.js';
import { CopyButton } from '../../../components/copy-button.js';
import { Badge } from '../../../components/ui.js';
import type { InvokeResult, TimingEntry } from './invoke-model.js';
import { LogsLink } from './logs-link.js';

function statusTone(status: number): string {
  if (status >= 500) return 'bad';
  if (status >= 400) return 'warn';
  if (status >= 300) return 'info';
  return 'ok';
}

const timingLabels: Record<string, string> = { isola: 'platform', load: 'cold start', fn: 'function', cpu: 'function CPU', heap: 'heap' };

function timingText(entry: TimingEntry): string {
  if (entry.durMs !== null) return formatMs(entry.durMs);
  const bytes = /^(\d+) bytes used$/.exec(entry.description ?? '');
  if (bytes !== null) return `${formatBytes(Number(bytes[1]))} used`;
  return entry.description ?? '';
}

/** Platform, cold start and function time side by side, the rest being network and browser. */
function TimingBar(props: { timing: TimingEntry[]; elapsedMs: number }) {
  const parts = ['isola', 'load', 'fn']
    .map((name) => props.timing.find((entry) => entry.name === name))
    .filter((entry): entry is TimingEntry & { durMs: number } => entry !== undefined && entry.durMs !== null);
  const server = parts.reduce((sum, entry) => sum + entry.durMs, 0);
  const rest = Math.max(0, props.elapsedMs - server);
  const total = Math.max(props.elapsedMs, server);
  const segments = [...parts.map((entry) => ({ key: entry.name, label: timingLabels[entry.name] ?? entry.name, ms: entry.durMs })), { key: 'net', label: 'network and browser', ms: rest }];
  const others = props.timing.filter((entry) => !parts.includes(entry as TimingEntry & { durMs: number }));
  return (
    <div class="rt">
      {total > 0 && parts.length > 0 && (
        <div class="rt-bar" aria-hidden="true">
          {segments.map((segment) => (
            <span key={segment.key} class={`rt-seg rt-${segment.key}`} style={{ flexGrow: segment.ms / total }} title={`${segment.label}: ${formatMs(segment.ms)}`} />
          ))}
        </div>
      )}
      <ul class="rt-list">
        {parts.length > 0 &&
          segments.map((segment) => (
            <li key={segment.key}>
              <span class={`rt-dot rt-${segment.key}`} aria-hidden="true" />
              {segment.label} <strong>{formatMs(segment.ms)}</strong>
            </li>
          ))}
        {others.map((entry, index) => (
          <li key={`${entry.name}-${index}`}>
            {entry.description !== null && entry.durMs !== null ? entry.description : (timingLabels[entry.name] ?? entry.name)} <strong>{timingText(entry)}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Body(props: { result: InvokeResult }) {
  const { result } = props;
  const { body } = result;
  if (result.mode === 'rpc' && result.status < 300 && result.parsed !== null && typeof result.parsed === 'object' && 'result' in result.parsed) {
    return <pre class="response-body">{JSON.stringify((result.parsed as { result: unknown }).result, null, 2) ?? 'undefined'}</pre>;
  }
  switch (body.kind) {
    case 'empty':
      return <p class="help response-empty">No body.</p>;
    case 'image':
      return <img class="response-image" src={body.url} alt={`Response image (${result.contentType})`} />;
    case 'binary':
      return (
        <p class="help">
          Binary data ({result.contentType || 'no content type'}).{' '}
          <a href={body.url} download="response">
            Download it
          </a>
        </p>
      );
    default:
      return (
        <>
          <pre class={`response-body ${body.kind === 'json' ? 'response-json' : ''}`}>{body.text}</pre>
          {body.clipped && <p class="help">The body is long: only its beginning is shown.</p>}
        </>
      );
  }
}

/** An error body from the platform (`{"error": {code, message}}`), said plainly above the raw body. */
function PlatformError(props: { parsed: unknown }) {
  const error = (props.parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error === undefined || typeof error.message !== 'string') return null;
  return (
    <div class="banner banner-error">
      <strong>{typeof error.code === 'string' ? error.code : 'Error'}</strong>
      <span>{error.message}</span>
    </div>
  );
}

export function ResponsePanel(props: { result: InvokeResult; name: string }) {
  const { result, name } = props;
  const tone = statusTone(result.status);
  return (
    <section class="card response-panel" aria-label="Response">
      <div class="response-head">
        <span role="status" class={`response-status response-status-${tone}`}>
          {result.status} {result.statusText}
        </span>
        <span class="response-meta">
          <strong>{formatMs(result.elapsedMs)}</strong> in the browser
        </span>
        {result.coldStart !== null && (
          <Badge kind={result.coldStart ? 'info' : 'neutral'} title={result.coldStart ? 'A new instance was started for this request' : 'Served by an instance that was already running'}>
            {result.coldStart ? 'cold start' : 'warm'}
          </Badge>
        )}
        {result.version !== null && <Badge kind="neutral">version {result.version}</Badge>}
        <span class="response-meta">{formatBytes(result.size)}</span>
        <span class="spacer" />
        <span class="muted mono response-summary">{result.summary}</span>
      </div>
      {result.invocationId !== null && (
        <div class="response-invocation">
          <span>
            Invocation <code id="response-invocation-id">{result.invocationId}</code>
          </span>
          <CopyButton text={result.invocationId} label="Copy id" describedBy="response-invocation-id" />
          <Link href={`/invocations/${result.invocationId}`}>View invocation</Link>
          <LogsLink name={name} invocationId={result.invocationId}>
            Logs of this invocation
          </LogsLink>
        </div>
      )}
      {result.timing.length > 0 && <TimingBar timing={result.timing} elapsedMs={result.elapsedMs} />}
      {result.status >= 400 && <PlatformError parsed={result.parsed} />}
      <h3 class="response-label">{result.mode === 'rpc' && result.status < 300 ? 'Result' : 'Body'}</h3>
      <Body result={result} />
      <details class="response-headers">
        <summary>Response headers ({result.headers.length})</summary>
        <div class="table-wrap">
          <table>
            <tbody>
              {/* A header may repeat (set-cookie): the name alone is no key. */}
              {result.headers.map(([header, value], index) => (
                <tr key={`${header}-${index}`}>
                  <th scope="row" class="mono">
                    {header}
                  </th>
                  <td class="mono">{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}
