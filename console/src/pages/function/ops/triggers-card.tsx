// What makes a function run: its HTTP endpoint and routes, cron schedules (with their next
// ticks and a way to fire one now), queue subscriptions and async settings.
import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, apiPath } from '../../../api/client.js';
import type { CronSchedule, FunctionSummary } from '../../../api/types.js';
import { useAction } from '../../../api/use-action.js';
import { useApi } from '../../../api/use-api.js';
import { CopyButton } from '../../../components/copy-button.js';
import { formatMs, formatTime, relativeTime } from '../../../components/format.js';
import { Badge, Card, ErrorBanner, Spinner } from '../../../components/ui.js';
import { useSession } from '../../../session-context.js';
import { OpsSection } from './ops-section.js';
import { useNow } from './use-now.js';

function HttpTrigger(props: { fn: FunctionSummary }) {
  const { manifest, name } = props.fn;
  const url = `${location.origin}/fn/${name}/`;
  return (
    <OpsSection title="HTTP">
      <div class="ops-url">
        <a href={url} target="_blank" rel="noreferrer" class="mono" id={`http-url-${name}`}>
          {url}
        </a>
        <CopyButton text={url} label="Copy URL" describedBy={`http-url-${name}`} />
      </div>
      <p class="help">
        {manifest.public ? (
          <>
            <Badge kind="info">public</Badge> anyone can call it, no token needed
          </>
        ) : (
          <>
            <Badge>token needed</Badge> callers send <code>Authorization: Bearer &lt;token&gt;</code> (role invoker or higher)
          </>
        )}
      </p>
      {manifest.routes.length > 0 && (
        <ul class="ops-list" aria-label="Routes">
          {manifest.routes.map((route) => (
            <li key={route.path}>
              <code>{route.path}</code>{' '}
              <span class="ops-methods">
                {(route.methods ?? ['any method']).map((method) => (
                  <Badge key={method}>{method}</Badge>
                ))}
              </span>
            </li>
          ))}
        </ul>
      )}
    </OpsSection>
  );
}

function CronRow(props: { cron: CronSchedule; fn: string; now: number; canRun: boolean }) {
  const { cron, now } = props;
  const { toast } = useSession();
  const running = useAction();
  const [enqueued, setEnqueued] = useState<string | null>(null);
  const run = () => {
    setEnqueued(null);
    void running.run(async () => {
      const answer = await api<{ invocationId: string }>(apiPath(`/functions/${encodeURIComponent(props.fn)}/crons/run`), { method: 'POST', body: { cron: cron.id } });
      setEnqueued(answer.invocationId);
      toast(`Enqueued a run of ${cron.schedule}`);
    });
  };
  const id = `cron-${cron.id}`;
  return (
    <li class="ops-cron">
      <div class="ops-cron-head">
        <code id={id}>{cron.schedule}</code>
        <span class="muted">{cron.timezone}</span>
        <span class="spacer" />
        <button type="button" class="button button-small" onClick={run} disabled={running.busy || !props.canRun} aria-describedby={id} title={props.canRun ? undefined : 'Needs a deployer or admin token'}>
          {running.busy ? 'Running…' : 'Run now'}
        </button>
      </div>
      <dl class="ops-kv">
        <dt>Next</dt>
        <dd>
          {cron.nextTicks.length === 0 ? (
            <span class="muted">none scheduled</span>
          ) : (
            <ol class="ops-ticks">
              {cron.nextTicks.slice(0, 3).map((tick) => (
                <li key={tick}>
                  <strong>{relativeTime(tick, now)}</strong> <span class="muted">{formatTime(tick)}</span>
                </li>
              ))}
            </ol>
          )}
        </dd>
        <dt>Last tick</dt>
        <dd>{cron.lastTick === null ? <span class="muted">never</span> : <span title={formatTime(cron.lastTick)}>{relativeTime(cron.lastTick, now)}</span>}</dd>
        <dt>Missed</dt>
        <dd>
          {cron.missed.count === 0 ? (
            <span class="muted">none</span>
          ) : (
            <Badge kind="warn" title={cron.missed.recent.map(formatTime).join('\n')}>
              {cron.missed.count}
              {cron.missed.capped ? '+' : ''} missed
            </Badge>
          )}
        </dd>
      </dl>
      <ErrorBanner error={running.error} title="Could not run it" />
      {enqueued !== null && (
        <p class="help" role="status">
          Enqueued as <Link href={`/invocations/${enqueued}`}>invocation {enqueued.slice(0, 8)}</Link>.
        </p>
      )}
    </li>
  );
}

function CronTriggers(props: { fn: FunctionSummary }) {
  const { caller } = useSession();
  const { data, error } = useApi<{ crons: CronSchedule[] }>(apiPath(`/functions/${encodeURIComponent(props.fn.name)}/crons`), 30_000);
  const now = useNow(15_000);
  return (
    <OpsSection title="Cron">
      {error !== null && <ErrorBanner error={error} title="Could not load the schedules" />}
      {data === null && error === null && <Spinner label="Loading schedules…" />}
      {data !== null && (
        <ul class="ops-list ops-crons">
          {data.crons.map((cron) => (
            <CronRow key={cron.id} cron={cron} fn={props.fn.name} now={now} canRun={caller.role !== 'invoker'} />
          ))}
        </ul>
      )}
    </OpsSection>
  );
}

function QueueTriggers(props: { fn: FunctionSummary }) {
  return (
    <OpsSection title="Queues">
      <ul class="ops-list">
        {props.fn.manifest.queues.map((queue) => (
          <li key={queue.topic} class="ops-queue">
            <div>
              <code>{queue.topic}</code> <Link href="/queues">view queues →</Link>
            </div>
            <p class="help">
              batches of up to {queue.batchSize}
              {queue.maxBatchWaitMs > 0 && `, waiting at most ${formatMs(queue.maxBatchWaitMs)}`} · {queue.maxRetries} retr{queue.maxRetries === 1 ? 'y' : 'ies'}
              {queue.deadLetter !== undefined ? (
                <>
                  {' '}
                  · dead letters to <code>{queue.deadLetter}</code>
                </>
              ) : (
                ' · no dead-letter topic'
              )}
            </p>
          </li>
        ))}
      </ul>
    </OpsSection>
  );
}

interface AsyncSettings {
  retries: number;
  backoff: { baseMs: number; maxMs: number };
  maxQueueDepth: number;
}

/** HTTP, cron, queues and async settings of the version `latest` serves. */
export function TriggersCard(props: { fn: FunctionSummary }) {
  const { manifest } = props.fn;
  const asyncSettings = manifest.async as AsyncSettings | undefined;
  return (
    <Card title="Triggers">
      <HttpTrigger fn={props.fn} />
      {manifest.crons.length > 0 && <CronTriggers fn={props.fn} />}
      {manifest.queues.length > 0 && <QueueTriggers fn={props.fn} />}
      {asyncSettings !== undefined && (
        <OpsSection title="Async invocations">
          <p class="help">
            {asyncSettings.retries} retr{asyncSettings.retries === 1 ? 'y' : 'ies'} after a failure, backing off from {formatMs(asyncSettings.backoff.baseMs)} to {formatMs(asyncSettings.backoff.maxMs)}; at most{' '}
            {asyncSettings.maxQueueDepth.toLocaleString()} waiting. Send <code>X-Isola-Invoke: async</code> or <code>?async=true</code> to invoke asynchronously.
          </p>
        </OpsSection>
      )}
    </Card>
  );
}
