import { useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { api } from '../../api/client.js';
import { useAction } from '../../api/use-action.js';
import { Dialog } from '../../components/dialog.js';
import { ErrorBanner, Field } from '../../components/ui.js';
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
  const [name, setName] = useState(caller.namespace === null ? '' : `${caller.namespace}-`);
  const [template, setTemplate] = useState<TemplateId>('http');
  const [topic, setTopic] = useState('');
  const [touched, setTouched] = useState(false);
  const { busy, error, run } = useAction();

  const problem = nameProblem(name.trim(), props.existing, caller.namespace);
  const topicValue = topic.trim() !== '' ? topic.trim() : name.trim() !== '' ? name.trim() : 'events';
  const topicProblem = template === 'queue' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,58}$/.test(topicValue) ? 'Use letters, digits, dots, dashes and underscores, starting with a letter or digit.' : null;

  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (problem !== null || topicProblem !== null) return;
    await run(async () => {
      const deployed = await api<{ name: string; version: number }>('/api/v1/functions', {
        method: 'POST',
        body: starterDeployment({ name: name.trim(), template, topic: topicValue }),
      });
      toast(`Deployed ${deployed.name} version ${deployed.version}`);
      props.onClose();
      navigate(`/functions/${encodeURIComponent(deployed.name)}/deploy`);
    });
  };

  const showProblem = touched && problem !== null;
  return (
    <Dialog class="new-function-dialog" labelledBy="new-function-title" busy={busy} onCancel={props.onClose}>
      <form onSubmit={submit} class="stack" noValidate>
        <div>
          <h2 id="new-function-title">New function</h2>
          <p class="help">Deploys a small starter as version 1, then opens its Deploy tab so you can write the real code.</p>
        </div>
        <Field id="new-function-name" label="Function name" help="Lower-case letters, digits and dashes; it becomes the URL /fn/<name>/." problem={showProblem ? problem : null}>
          <input
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
            onBlur={() => setTouched(true)}
            placeholder="my-function"
            autocomplete="off"
            spellcheck={false}
            autoFocus
          />
        </Field>
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
          <Field
            id="new-function-topic"
            label="Topic"
            help={`Messages published to “${topicValue}” reach this function; after 3 failed tries they go to “${topicValue}-dlq”.`}
            problem={topicProblem}
          >
            <input value={topic} onInput={(event) => setTopic(event.currentTarget.value)} placeholder={topicValue} autocomplete="off" spellcheck={false} />
          </Field>
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
    </Dialog>
  );
}
