import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { api, ApiError } from '../../api/client.js';
import { ErrorBanner } from '../../components/ui.js';
import { useSession } from '../../session-context.js';
import { starterDeployment, starterTemplates, type TemplateId } from './starter-templates.js';

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a name cannot be used, or null. */
function nameProblem(name: string, existing: string[], namespace: string | null): string | null {
  if (name === '') return 'Give the function a name.';
  if (!dnsLabel.test(name)) return 'Use 1–63 lower-case letters, digits and dashes, starting and ending with a letter or digit.';
  if (namespace !== null && name !== namespace && !name.startsWith(`${namespace}-`)) return `Your token covers namespace “${namespace}”: the name must start with “${namespace}-”.`;
  if (existing.includes(name)) return `A function named “${name}” exists already: deploying would add a version to it. Pick another name.`;
  return null;
}

/**
 * Asks for a name and a template, deploys the starter as version 1 and opens its Deploy tab.
 * Rendered only while open.
 */
export function NewFunctionDialog(props: { existing: string[]; onClose: () => void }) {
  const { caller, toast } = useSession();
  const [, navigate] = useLocation();
  const ref = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState(caller.namespace === null ? '' : `${caller.namespace}-`);
  const [template, setTemplate] = useState<TemplateId>('http');
  const [topic, setTopic] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
  }, []);

  const problem = nameProblem(name.trim(), props.existing, caller.namespace);
  const topicValue = topic.trim() !== '' ? topic.trim() : name.trim() !== '' ? name.trim() : 'events';
  const topicProblem = template === 'queue' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,58}$/.test(topicValue) ? 'Use letters, digits, dots, dashes and underscores, starting with a letter or digit.' : null;

  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (problem !== null || topicProblem !== null) return;
    setBusy(true);
    setError(null);
    try {
      const deployed = await api<{ name: string; version: number }>('/api/v1/functions', {
        method: 'POST',
        body: starterDeployment({ name: name.trim(), template, topic: topicValue }),
      });
      toast(`Deployed ${deployed.name} version ${deployed.version}`);
      props.onClose();
      navigate(`/functions/${encodeURIComponent(deployed.name)}/deploy`);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, 'CLIENT', String(failure)));
    } finally {
      setBusy(false);
    }
  };

  const showProblem = touched && problem !== null;
  return (
    <dialog
      ref={ref}
      class="new-function-dialog"
      aria-labelledby="new-function-title"
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) props.onClose();
      }}
    >
      <form onSubmit={submit} class="stack" noValidate>
        <div>
          <h2 id="new-function-title">New function</h2>
          <p class="help">Deploys a small starter as version 1, then opens its Deploy tab so you can write the real code.</p>
        </div>
        <div class="field">
          <label for="new-function-name">Function name</label>
          <input
            id="new-function-name"
            value={name}
            onInput={(event) => setName((event.target as HTMLInputElement).value)}
            onBlur={() => setTouched(true)}
            placeholder="my-function"
            autocomplete="off"
            spellcheck={false}
            aria-invalid={showProblem}
            aria-describedby="new-function-name-help"
            autoFocus
          />
          <p id="new-function-name-help" class={showProblem ? 'help field-error' : 'help'}>
            {showProblem ? problem : 'Lower-case letters, digits and dashes; it becomes the URL /fn/<name>/.'}
          </p>
        </div>
        <fieldset class="template-choice">
          <legend>Template</legend>
          {starterTemplates.map((option) => (
            <label key={option.id} class={`template-option ${template === option.id ? 'selected' : ''}`}>
              <input
                type="radio"
                name="template"
                value={option.id}
                checked={template === option.id}
                onChange={() => setTemplate(option.id)}
                aria-labelledby={`template-${option.id}-label`}
                aria-describedby={`template-${option.id}-help`}
              />
              <span>
                <strong id={`template-${option.id}-label`}>{option.label}</strong>
                <span id={`template-${option.id}-help`} class="help">
                  {option.description}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
        {template === 'queue' && (
          <div class="field">
            <label for="new-function-topic">Topic</label>
            <input
              id="new-function-topic"
              value={topic}
              onInput={(event) => setTopic((event.target as HTMLInputElement).value)}
              placeholder={topicValue}
              autocomplete="off"
              spellcheck={false}
              aria-invalid={topicProblem !== null}
              aria-describedby="new-function-topic-help"
            />
            <p id="new-function-topic-help" class={topicProblem !== null ? 'help field-error' : 'help'}>
              {topicProblem ?? `Messages published to “${topicValue}” reach this function; after 3 failed tries they go to “${topicValue}-dlq”.`}
            </p>
          </div>
        )}
        {error !== null && <ErrorBanner error={error} title="The starter was not deployed" />}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy} aria-busy={busy}>
            {busy && <span class="spinner-dot" aria-hidden="true" />}
            Create function
          </button>
        </div>
      </form>
    </dialog>
  );
}
