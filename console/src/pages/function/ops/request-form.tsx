// The Test invoke tab's request builder: an HTTP request to /fn/<name>/… or an RPC call.
import type { JSX } from 'preact';
import { hasBody, httpMethods, type BodyType, type HeaderRow, type HttpMethod, type InvokeRequest } from './invoke-model.js';

type Update = (patch: Partial<InvokeRequest>) => void;

function HeadersEditor(props: { rows: HeaderRow[]; update: Update }) {
  const { rows, update } = props;
  const nextKey = () => rows.reduce((max, row) => Math.max(max, row.key), -1) + 1;
  const change = (key: number, patch: Partial<HeaderRow>) => update({ headers: rows.map((row) => (row.key === key ? { ...row, ...patch } : row)) });
  return (
    <fieldset class="invoke-headers">
      <legend>Headers</legend>
      {rows.length === 0 && <p class="help">None besides Authorization (your session token, unless you set one here).</p>}
      {rows.map((row, index) => (
        <div class="invoke-header-row" key={row.key}>
          <label class="visually-hidden" for={`header-name-${row.key}`}>
            Header name {index + 1}
          </label>
          <input id={`header-name-${row.key}`} class="mono" placeholder="name" value={row.name} onInput={(event) => change(row.key, { name: event.currentTarget.value })} autoComplete="off" spellcheck={false} />
          <label class="visually-hidden" for={`header-value-${row.key}`}>
            Header value {index + 1}
          </label>
          <input id={`header-value-${row.key}`} class="mono" placeholder="value" value={row.value} onInput={(event) => change(row.key, { value: event.currentTarget.value })} autoComplete="off" spellcheck={false} />
          <button type="button" class="button button-ghost button-small" aria-label={`Remove header ${index + 1}`} title="Remove" onClick={() => update({ headers: rows.filter((other) => other.key !== row.key) })}>
            ✕
          </button>
        </div>
      ))}
      <div>
        <button type="button" class="button button-small" onClick={() => update({ headers: [...rows, { key: nextKey(), name: '', value: '' }] })}>
          + Add header
        </button>
      </div>
    </fieldset>
  );
}

const bodyTypes: { value: BodyType; label: string }[] = [
  { value: 'json', label: 'JSON' },
  { value: 'text', label: 'Text' },
  { value: 'none', label: 'None' },
];

/** Whether `text` is JSON, and if not, why not. */
export function jsonProblem(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function HttpFields(props: { request: InvokeRequest; update: Update; name: string }) {
  const { request, update } = props;
  const bodyAllowed = hasBody(request.method);
  const problem = bodyAllowed && request.bodyType === 'json' ? jsonProblem(request.body) : null;
  return (
    <>
      <div class="invoke-line">
        <div class="field invoke-method">
          <label for="invoke-method">Method</label>
          <select id="invoke-method" value={request.method} onChange={(event) => update({ method: event.currentTarget.value as HttpMethod })}>
            {httpMethods.map((method) => (
              <option key={method} value={method}>
                {method}
              </option>
            ))}
          </select>
        </div>
        <div class="field invoke-path">
          <label for="invoke-path">Path</label>
          <div class="invoke-path-input">
            <span class="invoke-prefix mono" aria-hidden="true">
              /fn/{props.name}
            </span>
            <input
              id="invoke-path"
              class="mono"
              value={request.path}
              placeholder="/"
              aria-describedby="invoke-path-help"
              onInput={(event) => update({ path: event.currentTarget.value })}
              autoComplete="off"
              spellcheck={false}
            />
          </div>
          <p class="help visually-hidden" id="invoke-path-help">
            Relative to /fn/{props.name}; add a query string such as ?id=1
          </p>
        </div>
      </div>
      <HeadersEditor rows={request.headers} update={update} />
      <div class="field">
        <div class="invoke-body-head">
          <label for="invoke-body">Body</label>
          <div class="segmented" role="radiogroup" aria-label="Content type">
            {bodyTypes.map((type) => (
              <label key={type.value} class={`segment ${request.bodyType === type.value ? 'active' : ''}`}>
                <input type="radio" name="invoke-body-type" value={type.value} checked={request.bodyType === type.value} disabled={!bodyAllowed} onChange={() => update({ bodyType: type.value })} />
                {type.label}
              </label>
            ))}
          </div>
          {bodyAllowed && request.bodyType === 'json' && problem === null && request.body.trim() !== '' && (
            <button type="button" class="button button-ghost button-small" onClick={() => update({ body: JSON.stringify(JSON.parse(request.body), null, 2) })}>
              Format JSON
            </button>
          )}
        </div>
        <textarea
          id="invoke-body"
          rows={7}
          value={bodyAllowed ? request.body : ''}
          disabled={!bodyAllowed}
          placeholder={bodyAllowed ? (request.bodyType === 'json' ? '{"hello": "world"}' : 'request body') : `${request.method} requests have no body`}
          aria-invalid={problem !== null}
          aria-describedby={problem === null ? undefined : 'invoke-body-problem'}
          onInput={(event) => update({ body: event.currentTarget.value })}
          spellcheck={false}
        />
        {problem !== null && (
          <p class="help invoke-warning" id="invoke-body-problem">
            Not valid JSON ({problem}). It is sent as written.
          </p>
        )}
      </div>
    </>
  );
}

/** Whether the RPC arguments are a JSON array, and if not, why not. */
export function argsProblem(text: string): string | null {
  try {
    return Array.isArray(JSON.parse(text)) ? null : 'The arguments must be a JSON array, such as ["sku-1", 2] or [] for none.';
  } catch (error) {
    return `Not valid JSON: ${(error as Error).message}`;
  }
}

function RpcFields(props: { request: InvokeRequest; update: Update; showProblems: boolean }) {
  const { request, update } = props;
  const problem = argsProblem(request.rpcArgs);
  return (
    <>
      <div class="field">
        <label for="invoke-rpc-method">RPC method</label>
        <input
          id="invoke-rpc-method"
          class="mono"
          value={request.rpcMethod}
          placeholder="quote"
          onInput={(event) => update({ rpcMethod: event.currentTarget.value })}
          aria-invalid={props.showProblems && request.rpcMethod.trim() === ''}
          autoComplete="off"
          spellcheck={false}
        />
        <p class="help">A function-valued property of the default export other than fetch, scheduled and queue.</p>
      </div>
      <div class="field">
        <label for="invoke-rpc-args">Arguments</label>
        <textarea
          id="invoke-rpc-args"
          rows={5}
          value={request.rpcArgs}
          placeholder='["sku-1", 2]'
          onInput={(event) => update({ rpcArgs: event.currentTarget.value })}
          aria-invalid={problem !== null}
          aria-describedby="invoke-rpc-args-help"
          spellcheck={false}
        />
        <p class={`help ${problem === null ? '' : 'invoke-warning'}`} id="invoke-rpc-args-help">
          {problem ?? 'A JSON array, one element per argument.'}
        </p>
      </div>
    </>
  );
}

export interface RequestFormProps {
  name: string;
  request: InvokeRequest;
  update: Update;
  sending: boolean;
  showProblems: boolean;
  onSend: () => void;
  onCancel: () => void;
}

/** The request builder; Ctrl/Cmd+Enter sends from anywhere inside it. */
export function RequestForm(props: RequestFormProps) {
  const { request, update } = props;
  const onKeyDown = (event: JSX.TargetedKeyboardEvent<HTMLFormElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!props.sending) props.onSend();
    }
  };
  const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
  return (
    <form
      class="card invoke-form"
      aria-label="Request"
      onKeyDown={onKeyDown}
      onSubmit={(event) => {
        event.preventDefault();
        if (!props.sending) props.onSend();
      }}
    >
      <div class="segmented invoke-mode" role="radiogroup" aria-label="Kind of call">
        {(['http', 'rpc'] as const).map((mode) => (
          <label key={mode} class={`segment ${request.mode === mode ? 'active' : ''}`}>
            <input type="radio" name="invoke-mode" value={mode} checked={request.mode === mode} onChange={() => update({ mode })} />
            {mode === 'http' ? 'HTTP request' : 'RPC call'}
          </label>
        ))}
      </div>
      {request.mode === 'http' ? <HttpFields request={request} update={update} name={props.name} /> : <RpcFields request={request} update={update} showProblems={props.showProblems} />}
      <div class="row invoke-actions">
        <button type="submit" class="button button-primary" disabled={props.sending}>
          {props.sending ? 'Sending…' : 'Send'}
        </button>
        {props.sending && (
          <button type="button" class="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        <span class="help">
          <kbd>{mac ? '⌘' : 'Ctrl'}</kbd>+<kbd>Enter</kbd> sends
        </span>
      </div>
    </form>
  );
}
