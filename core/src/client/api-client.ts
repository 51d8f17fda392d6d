import type { DeployResponse } from '../api/deploy.js';
import { IsolaError, isErrorShape, type ErrorBody } from '../errors/isola-error.js';
import type { InvocationRecord } from '../records/invocation-record.js';
import type { StoredLogLine } from '../records/log-stream.js';
import type { AliasTarget } from '../store/function-store.js';
import type { ClusterLoad, FunctionSummary, LogPage, LogQuery, RollbackResult, VersionInfo } from './api-types.js';
import { readServerSentEvents } from './sse.js';

/** The platform did not answer at all (refused, unknown host, reset): nothing to do with the request. */
export class PlatformUnreachableError extends IsolaError {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super('NOT_READY', `cannot reach the platform at ${url} (${reason}): is \`isola up\` running? set --url or ISOLA_URL`);
    this.name = 'PlatformUnreachableError';
  }
}

/** An error answer of the API; `status` is the HTTP status it came with. */
export class ApiError extends IsolaError {
  constructor(
    shape: ConstructorParameters<typeof IsolaError>,
    readonly httpStatus: number,
  ) {
    super(...shape);
    this.name = 'ApiError';
  }
}

export interface SendOptions {
  headers?: Record<string, string> | [string, string][];
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Send the token (default true). */
  auth?: boolean;
}

/** What a live log tail reports: a line, or the state of its connection. */
export type LogTailEvent =
  | { type: 'line'; line: StoredLogLine }
  | { type: 'open' }
  /** The connection ended or failed; the tail reconnects after `retryMs` from the last line seen. */
  | { type: 'lost'; reason: string; retryMs: number };

/** Control-plane calls wait this long for an answer (invocations and live tails are not limited). */
const requestTimeoutMs = 60_000;

/**
 * A client of the control-plane API (SPEC §4), used by the CLI commands, the Kubernetes
 * operator and the tests. Every
 * error is an IsolaError: an {@link ApiError} for an error answer (its code from the body), a
 * {@link PlatformUnreachableError} when nothing answered.
 */
export class IsolaClient {
  readonly url: string;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.url = url.replace(/\/+$/, '');
  }

  /** Deploys a new version; with `promote: false` the `latest` alias stays where it is. */
  deploy(manifest: Record<string, unknown>, files: Record<string, string>, options: { promote?: boolean } = {}): Promise<DeployResponse> {
    const query = options.promote === false ? '?promote=false' : '';
    return this.request<DeployResponse>('POST', `/api/v1/functions${query}`, { manifest, files });
  }

  async listFunctions(options: { stats?: boolean } = {}): Promise<FunctionSummary[]> {
    const answer = await this.request<{ functions: FunctionSummary[] }>('GET', `/api/v1/functions${options.stats ? '?stats=true' : ''}`);
    return answer.functions;
  }

  getFunction(name: string, options: { stats?: boolean } = {}): Promise<FunctionSummary> {
    return this.request<FunctionSummary>('GET', `/api/v1/functions/${encodeURIComponent(name)}${options.stats ? '?stats=true' : ''}`);
  }

  /** Newest first. */
  async versions(name: string): Promise<VersionInfo[]> {
    return (await this.request<{ versions: VersionInfo[] }>('GET', `/api/v1/functions/${encodeURIComponent(name)}/versions`)).versions;
  }

  /** Points `alias` (default latest) at `version`, or at the version before the newest it serves. */
  rollback(name: string, options: { version?: number; alias?: string } = {}): Promise<RollbackResult> {
    return this.request<RollbackResult>('POST', `/api/v1/functions/${encodeURIComponent(name)}/rollback`, options);
  }

  /** Points `alias` at one version or splits it by weights (version → percent, adding up to 100). */
  setAlias(name: string, alias: string, target: AliasTarget): Promise<{ alias: string; target: AliasTarget }> {
    return this.request('PUT', `/api/v1/functions/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`, target);
  }

  /** Deletes the function with its versions, aliases, secrets and triggers. */
  async deleteFunction(name: string): Promise<void> {
    await this.request('DELETE', `/api/v1/functions/${encodeURIComponent(name)}`);
  }

  /** Worker nodes, their capacity and load, and the async backlog (admin): what scaling reads. */
  cluster(): Promise<ClusterLoad> {
    return this.request<ClusterLoad>('GET', '/api/v1/cluster');
  }

  async putSecret(name: string, key: string, value: string): Promise<void> {
    await this.request('PUT', `/api/v1/functions/${encodeURIComponent(name)}/secrets/${encodeURIComponent(key)}`, { value });
  }

  async deleteSecret(name: string, key: string): Promise<void> {
    await this.request('DELETE', `/api/v1/functions/${encodeURIComponent(name)}/secrets/${encodeURIComponent(key)}`);
  }

  invocation(id: string): Promise<InvocationRecord> {
    return this.request<InvocationRecord>('GET', `/api/v1/invocations/${encodeURIComponent(id)}`);
  }

  logs(name: string, query: LogQuery = {}): Promise<LogPage> {
    return this.request<LogPage>('GET', `/api/v1/functions/${encodeURIComponent(name)}/logs${queryString(query)}`);
  }

  /**
   * Follows a function's logs (the SSE tail) until `signal` aborts: reconnects after a lost
   * connection with Last-Event-ID, so no line is missed or repeated. Starts after the line id
   * `after` (a stream id such as `1735689600000-0`), or from now. Errors that another try would
   * not fix (401, 403, 404, 400) end it with a throw.
   */
  async *followLogs(name: string, query: Omit<LogQuery, 'since' | 'until' | 'limit'>, options: { after?: string; signal: AbortSignal }): AsyncGenerator<LogTailEvent> {
    const { signal } = options;
    let lastId = options.after;
    let retryMs = 1_000;
    let failures = 0;
    const path = `/api/v1/functions/${encodeURIComponent(name)}/logs${queryString({ ...query, follow: 'true' })}`;
    while (!signal.aborted) {
      let reason: string;
      try {
        const response = await this.send('GET', path, {
          headers: { accept: 'text/event-stream', ...(lastId === undefined ? {} : { 'last-event-id': lastId }) },
          signal,
        });
        if (!response.ok) {
          const error = await errorOf('GET', path, response);
          if (response.status < 500) throw error;
          reason = error.message;
        } else if (response.body === null) {
          reason = 'the platform answered without a body';
        } else {
          failures = 0;
          yield { type: 'open' };
          for await (const event of readServerSentEvents(response.body)) {
            if (event.event === 'error') {
              throw new IsolaError('INTERNAL', errorMessageOf(event.data) ?? 'the live log stream failed');
            }
            const line = JSON.parse(event.data) as StoredLogLine;
            lastId = event.id ?? line.id;
            yield { type: 'line', line };
          }
          reason = 'the platform closed the stream';
        }
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof PlatformUnreachableError) && !(error instanceof TypeError) && !(error instanceof IsolaError && error.code === 'INTERNAL')) throw error;
        reason = (error as Error).message;
      }
      failures += 1;
      retryMs = Math.min(1_000 * 2 ** Math.min(failures - 1, 3), 8_000);
      yield { type: 'lost', reason, retryMs };
      await sleep(retryMs, signal);
    }
  }

  /** A JSON call: answers the parsed body, throws an {@link ApiError} for an error answer. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, {
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    if (!response.ok) throw await errorOf(method, path, response);
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new IsolaError('INTERNAL', `${method} ${path} answered ${response.status} with a body that is not JSON: is ${this.url} an Isola platform? (${shorten(text)})`);
    }
  }

  /** Any request to the platform, answered as it came (for invocations, whose answer is the function's). */
  async send(method: string, path: string, options: SendOptions = {}): Promise<Response> {
    const headers = new Headers(options.headers);
    if (options.auth !== false && this.token !== '' && !headers.has('authorization')) headers.set('authorization', `Bearer ${this.token}`);
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new IsolaError('NOT_READY', `the platform at ${this.url} did not answer ${method} ${path} within ${requestTimeoutMs / 1000} s`);
      }
      if ((error as Error).name === 'AbortError') throw error;
      throw new PlatformUnreachableError(this.url, causeOf(error));
    }
  }
}

/** The error an error answer carries: its code and message, or a description of what came instead. */
export async function errorOf(method: string, path: string, response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as Partial<ErrorBody> | undefined)?.error;
  if (isErrorShape(error)) return new ApiError([error.code, error.message, error.details ?? problemsOf(error)], response.status);
  const code = response.status === 401 ? 'UNAUTHORIZED' : response.status === 403 ? 'FORBIDDEN' : response.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
  return new ApiError([code, `${method} ${path.split('?')[0]} answered ${response.status} ${response.statusText}${text === '' ? '' : `: ${shorten(text)}`}`], response.status);
}

/** Route validation puts `problems` beside the code rather than in `details`. */
function problemsOf(error: object): unknown {
  const problems = (error as { problems?: unknown }).problems;
  return problems === undefined ? undefined : { problems };
}

function errorMessageOf(data: string): string | null {
  try {
    const parsed = JSON.parse(data) as Partial<ErrorBody>;
    return isErrorShape(parsed.error) ? parsed.error.message : null;
  } catch {
    return null;
  }
}

function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query) as [string, unknown][]) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** fetch reports "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is in its cause. */
function causeOf(error: unknown): string {
  let current = error as { cause?: unknown; code?: unknown; message?: string } | undefined;
  let reason = current?.message ?? String(error);
  while (current?.cause !== undefined) {
    current = current.cause as typeof current;
    reason = typeof current?.code === 'string' ? current.code : (current?.message ?? reason);
  }
  return reason;
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
