import { useMemo, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, apiPath } from '../api/client.js';
import type { FunctionSummary } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { useApi } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { formatCount } from '../components/format.js';
import { Badge, Empty, ErrorBanner, PageHeader, Spinner, StatTile } from '../components/ui.js';
import { useSession } from '../session-context.js';
import { PublishMessage } from './list/publish-message.js';

/** One row of GET /api/v1/queues: a topic, or a function's async invocations (`fn:<name>`). */
interface QueueInfo {
  id: string;
  kind: 'topic' | 'function';
  name: string;
  consumer: string | null;
  waiting: number;
  active: number;
  delayed: number;
  deadLetters: number;
}

/** Topics that are another topic's dead-letter topic (from the consumers' manifests): dlq → source. */
function deadLetterSources(functions: FunctionSummary[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const fn of functions) for (const queue of fn.manifest.queues ?? []) if (queue.deadLetter !== undefined) sources.set(queue.deadLetter, queue.topic);
  return sources;
}

/** Topics and async queues: depth, dead letters and their redrive, refreshed every 5 s. */
export function QueuesPage() {
  const { toast } = useSession();
  const { data, error, loading, reload } = useApi<{ queues: QueueInfo[] }>(apiPath('/queues'), 5000);
  const functions = useApi<{ functions: FunctionSummary[] }>(apiPath('/functions'));
  const [redriving, setRedriving] = useState<QueueInfo | null>(null);
  const redrival = useAction();

  const queues = useMemo(() => [...(data?.queues ?? [])].sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'topic' ? -1 : 1)), [data]);
  const dlqOf = useMemo(() => deadLetterSources(functions.data?.functions ?? []), [functions.data]);
  const topics = useMemo(() => {
    const names = new Set(queues.filter((queue) => queue.kind === 'topic').map((queue) => queue.name));
    for (const fn of functions.data?.functions ?? []) for (const queue of fn.manifest.queues ?? []) names.add(queue.topic);
    return [...names].sort();
  }, [queues, functions.data]);

  const totals = queues.reduce((sum, queue) => ({ waiting: sum.waiting + queue.waiting + queue.delayed, active: sum.active + queue.active, dead: sum.dead + queue.deadLetters }), {
    waiting: 0,
    active: 0,
    dead: 0,
  });

  const redrive = (queue: QueueInfo) =>
    redrival.run(async () => {
      const answer = await api<{ queue: string; redriven: number }>(apiPath(`/queues/${encodeURIComponent(queue.id)}/dlq/redrive`), { method: 'POST' });
      toast(answer.redriven === 0 ? `No dead letters left in ${displayName(queue)}` : `Redrove ${answer.redriven} dead letter${answer.redriven === 1 ? '' : 's'} of ${displayName(queue)}`);
      setRedriving(null);
      reload();
    });

  return (
    <>
      <PageHeader title="Queues" subtitle="Topics and functions' async invocations: what waits, what runs, what died. Refreshed every 5 seconds." />
      <ErrorBanner error={error} title={data === null ? 'The queues could not be loaded' : 'Refreshing failed — showing the last answer'} />
      {data === null ? (
        loading && <Spinner label="Loading queues…" />
      ) : (
        <>
          <div class="grid-3 summary-tiles">
            <StatTile label="Queues" value={queues.length} />
            <StatTile label="Waiting or delayed" value={formatCount(totals.waiting)} detail={`${formatCount(totals.active)} running now`} />
            <StatTile label="Dead letters" value={formatCount(totals.dead)} tone={totals.dead > 0 ? 'bad' : undefined} />
          </div>
          <section class="card flush">
            {queues.length === 0 ? (
              <Empty title="No queues yet">
                <span>
                  A topic appears when a function consumes it (<code>queues:</code> in isola.yaml) or a message is published to it; a function's async queue appears with its
                  first async invocation.
                </span>
              </Empty>
            ) : (
              <div class="table-wrap">
                <table class="queues-table">
                  <caption class="visually-hidden">Queues with their depth and dead letters</caption>
                  <thead>
                    <tr>
                      <th>Queue</th>
                      <th class="hide-narrow">Consumer</th>
                      <th class="num">Waiting</th>
                      <th class="num hide-narrow">Running</th>
                      <th class="num hide-narrow">Delayed</th>
                      <th class="num">Dead letters</th>
                      <th class="hide-narrow">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {queues.map((queue) => (
                      <QueueRow key={queue.id} queue={queue} deadLetterOf={dlqOf.get(queue.name) ?? null} onRedrive={() => setRedriving(queue)} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
      {data !== null && <PublishMessage topics={topics} onPublished={reload} />}
      {redriving !== null && (
        <ConfirmDialog
          title={`Redrive ${displayName(redriving)}?`}
          confirmLabel="Redrive"
          busy={redrival.busy}
          onConfirm={() => void redrive(redriving)}
          onCancel={() => {
            setRedriving(null);
            redrival.setError(null);
          }}
        >
          <p>
            {redriving.deadLetters === 1 ? 'The dead letter' : `All ${formatCount(redriving.deadLetters)} dead letters`} of <strong>{displayName(redriving)}</strong> go back into the queue
            with their tries reset{redriving.consumer === null ? '' : `, and ${redriving.consumer} receives them again`}.
          </p>
          <p class="help">If the cause of the failures is not fixed, they will fail and land here again.</p>
          <ErrorBanner error={redrival.error} title="Redrive failed" />
        </ConfirmDialog>
      )}
    </>
  );
}

/** A function's async queue reads "<name> (async)", so it is never confused with a topic of that name. */
function displayName(queue: QueueInfo): string {
  return queue.kind === 'function' ? `${queue.name} (async)` : queue.name;
}

function QueueRow(props: { queue: QueueInfo; deadLetterOf: string | null; onRedrive: () => void }) {
  const { queue } = props;
  // In its own column when there is room, under the count on narrow screens (one is display: none).
  const redrive = (
    <button type="button" class="button button-small" onClick={props.onRedrive} aria-label={`Redrive ${displayName(queue)}`}>
      Redrive
    </button>
  );
  return (
    <tr class={queue.deadLetters > 0 ? 'row-dead' : undefined}>
      <td>
        <div class="queue-name">
          <strong>{displayName(queue)}</strong>
          <Badge kind="neutral">{queue.kind === 'topic' ? 'topic' : 'async invocations'}</Badge>
        </div>
        {props.deadLetterOf !== null && <div class="small muted">dead-letter topic of {props.deadLetterOf}</div>}
        <div class="show-narrow small muted">
          {queue.consumer !== null ? (
            <>
              → <Link href={`/functions/${encodeURIComponent(queue.consumer)}`}>{queue.consumer}</Link>
            </>
          ) : (
            'no consumer'
          )}
          {(queue.active > 0 || queue.delayed > 0) && ` · ${queue.active} running · ${queue.delayed} delayed`}
        </div>
      </td>
      <td class="hide-narrow">
        {queue.consumer !== null ? (
          <Link href={`/functions/${encodeURIComponent(queue.consumer)}`}>{queue.consumer}</Link>
        ) : (
          <span class="muted" title="Messages wait here until a function consumes this topic">
            none
          </span>
        )}
      </td>
      <td class={`num ${props.deadLetterOf !== null && queue.waiting > 0 ? 'text-warn strong' : ''}`}>{formatCount(queue.waiting)}</td>
      <td class="num hide-narrow">{formatCount(queue.active)}</td>
      <td class="num hide-narrow">{formatCount(queue.delayed)}</td>
      <td class="num">
        {queue.deadLetters > 0 ? (
          <div class="dead-cell">
            <span class="dead-count">{formatCount(queue.deadLetters)}</span>
            <span class="show-narrow">{redrive}</span>
          </div>
        ) : (
          <span class="muted">0</span>
        )}
      </td>
      <td class="right hide-narrow">{queue.deadLetters > 0 && redrive}</td>
    </tr>
  );
}
