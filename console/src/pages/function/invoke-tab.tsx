import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath } from '../../api/client.js';
import { useSession } from '../../session-context.js';
import type { TabProps } from './function-page.js';
import { hasBody, loadRequest, releaseBody, saveRequest, sendRequest, type InvokeRequest, type InvokeResult } from './ops/invoke-model.js';
import { argsProblem, RequestForm } from './ops/request-form.js';
import { ResponsePanel } from './ops/response-panel.js';

const contentTypes = { json: 'application/json', text: 'text/plain; charset=utf-8' } as const;

/** Builds the fetch of an HTTP test request; throws with a message the reader can act on. */
function httpInit(request: InvokeRequest, token: string, signal: AbortSignal): RequestInit {
  const headers = new Headers();
  for (const row of request.headers) {
    const name = row.name.trim();
    if (name === '') continue;
    try {
      headers.append(name, row.value);
    } catch {
      throw new Error(`"${name}" cannot be sent as a header name: use letters, digits and - only.`);
    }
  }
  const withBody = hasBody(request.method) && request.body !== '';
  if (withBody && request.bodyType !== 'none' && !headers.has('content-type')) headers.set('content-type', contentTypes[request.bodyType]);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  return { method: request.method, headers, signal, ...(withBody ? { body: request.body } : {}) };
}

function normalPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '') return '/';
  return trimmed.startsWith('/') || trimmed.startsWith('?') ? trimmed : `/${trimmed}`;
}

/** A request builder for the function's HTTP trigger and its RPC methods, with the answer in full. */
export function InvokeTab(props: TabProps) {
  // Another function starts over with its own kept request, and nothing of this one's answer.
  return <InvokeFunction key={props.fn.name} name={props.fn.name} />;
}

function InvokeFunction(props: { name: string }) {
  const { name } = props;
  const { token } = useSession();
  const [request, setRequest] = useState<InvokeRequest>(() => loadRequest(name));
  const [result, setResult] = useState<InvokeResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [showProblems, setShowProblems] = useState(false);
  const inFlight = useRef<AbortController | null>(null);
  const resultArea = useRef<HTMLDivElement>(null);

  const latestRequest = useRef(request);
  latestRequest.current = request;
  useEffect(() => saveRequest(name, request), [name, request]);
  useEffect(
    () => () => {
      // An edit made just before leaving may not have been kept yet.
      saveRequest(name, latestRequest.current);
      // Leaving the tab cancels the request; its answer updates nothing any more.
      const sending = inFlight.current;
      inFlight.current = null;
      sending?.abort();
    },
    [name],
  );
  // Object URLs of image or binary bodies are released with the result that made them.
  useEffect(() => {
    const body = result?.body;
    return () => {
      if (body !== undefined) releaseBody(body);
    };
  }, [result]);

  const update = (patch: Partial<InvokeRequest>) => setRequest((current) => ({ ...current, ...patch }));

  const send = async () => {
    setFailure(null);
    let url: string;
    let init: RequestInit;
    let summary: string;
    const abort = new AbortController();
    try {
      if (request.mode === 'http') {
        const path = normalPath(request.path);
        url = `/fn/${name}${path}`;
        init = httpInit(request, token, abort.signal);
        summary = `${request.method} ${url}`;
      } else {
        const method = request.rpcMethod.trim();
        const problem = method === '' ? 'Name the RPC method to call.' : argsProblem(request.rpcArgs);
        if (problem !== null) {
          setShowProblems(true);
          throw new Error(problem);
        }
        url = apiPath(`/functions/${encodeURIComponent(name)}/rpc/${encodeURIComponent(method)}`);
        init = { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' }, body: request.rpcArgs, signal: abort.signal };
        summary = `${method}(${JSON.stringify(JSON.parse(request.rpcArgs)).slice(1, -1).slice(0, 60)})`;
      }
    } catch (error) {
      setFailure((error as Error).message);
      return;
    }
    inFlight.current?.abort();
    inFlight.current = abort;
    setSending(true);
    try {
      const answer = await sendRequest(url, init, request.mode, summary);
      if (inFlight.current !== abort) {
        releaseBody(answer.body);
        return;
      }
      setResult(answer);
      // Stacked on a narrow screen, the answer lands below the fold: bring its top into view.
      requestAnimationFrame(() => {
        const area = resultArea.current;
        if (area !== null && area.getBoundingClientRect().top > window.innerHeight - 80) area.scrollIntoView({ behavior: 'smooth', block: 'start' });
      });
    } catch (error) {
      if (inFlight.current !== abort) return;
      setFailure(abort.signal.aborted ? 'Cancelled.' : `The request did not complete: ${(error as Error).message}. Is the gateway still running?`);
    } finally {
      if (inFlight.current === abort) {
        inFlight.current = null;
        setSending(false);
      }
    }
  };

  return (
    <div class="invoke-tab">
      <RequestForm name={name} request={request} update={update} sending={sending} showProblems={showProblems} onSend={send} onCancel={() => inFlight.current?.abort()} />
      <div class="stack invoke-result" ref={resultArea}>
        {failure !== null && (
          <div class="banner banner-error" role="alert">
            <strong>Not sent</strong>
            <span>{failure}</span>
          </div>
        )}
        {result !== null ? (
          <ResponsePanel result={result} name={name} />
        ) : (
          failure === null && (
            <section class="card response-panel response-placeholder" aria-label="Response">
              <p class="muted">
                {sending ? 'Waiting for the answer…' : `Send a request to see the status, timings, headers and body of ${name}'s answer.`}
              </p>
            </section>
          )
        )}
      </div>
    </div>
  );
}
