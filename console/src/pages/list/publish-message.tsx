import { useState } from 'preact/hooks';
import { api } from '../../api/client.js';
import { useAction } from '../../api/use-action.js';
import { Card, ErrorBanner, Field } from '../../components/ui.js';
import { useSession } from '../../session-context.js';

const topicPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Publishes one JSON message to a topic (`POST /api/v1/topics/{topic}/messages`), to try a consumer. */
export function PublishMessage(props: { topics: string[]; onPublished: () => void }) {
  const { toast } = useSession();
  const [topic, setTopic] = useState(props.topics[0] ?? '');
  const [body, setBody] = useState('{\n  "hello": "world"\n}');
  const [problem, setProblem] = useState<{ field: 'topic' | 'body'; message: string } | null>(null);
  const { busy, error, run } = useAction();

  const submit = async (event: Event) => {
    event.preventDefault();
    const name = topic.trim();
    if (!topicPattern.test(name)) {
      setProblem({ field: 'topic', message: 'A topic name is letters, digits, dots, dashes and underscores, starting with a letter or digit.' });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch (failure) {
      setProblem({ field: 'body', message: `The body is not valid JSON: ${(failure as Error).message}` });
      return;
    }
    setProblem(null);
    await run(async () => {
      const answer = await api<{ topic: string; ids: string[]; consumer: string | null }>(`/api/v1/topics/${encodeURIComponent(name)}/messages`, { method: 'POST', body: payload });
      const count = answer.ids.length;
      toast(
        `Published ${count} message${count === 1 ? '' : 's'} to ${answer.topic}${answer.consumer === null ? ' (no consumer yet: it waits in the queue)' : ` → ${answer.consumer}`}`,
      );
      props.onPublished();
    });
  };

  return (
    <Card title="Publish a test message">
      <form class="stack publish-form" onSubmit={submit} noValidate>
        <p class="help">
          Sends one message whose data is this JSON, as <code>POST /api/v1/topics/&lt;topic&gt;/messages</code> would. The topic's consumer receives it in its{' '}
          <code>queue()</code> handler.
        </p>
        <Field id="publish-topic" label="Topic">
          <input
            list="publish-topics"
            value={topic}
            onInput={(event) => setTopic(event.currentTarget.value)}
            autocomplete="off"
            spellcheck={false}
            placeholder="orders"
            aria-invalid={problem?.field === 'topic'}
            aria-describedby={problem?.field === 'topic' ? 'publish-problem' : undefined}
          />
        </Field>
        <datalist id="publish-topics">
          {props.topics.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <Field id="publish-body" label="Message body (JSON)">
          <textarea
            rows={5}
            value={body}
            onInput={(event) => setBody(event.currentTarget.value)}
            spellcheck={false}
            aria-invalid={problem?.field === 'body'}
            aria-describedby={problem?.field === 'body' ? 'publish-problem' : undefined}
          />
        </Field>
        {problem !== null && (
          <p id="publish-problem" class="help field-error" role="alert">
            {problem.message}
          </p>
        )}
        {error !== null && <ErrorBanner error={error} title="The message was not published" />}
        <div>
          <button type="submit" class="button button-primary" disabled={busy} aria-busy={busy}>
            {busy && <span class="spinner-dot" aria-hidden="true" />}
            Publish
          </button>
        </div>
      </form>
    </Card>
  );
}
