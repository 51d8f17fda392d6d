import assert from 'node:assert/strict';

/** A function that sleeps `?ms=` milliseconds before it answers, so that invocations overlap. */
export const sleeperSource = `export default { async fetch(request) {
  const ms = Number(new URL(request.url).searchParams.get('ms') ?? '0');
  await new Promise((resolve) => setTimeout(resolve, ms));
  return new Response('slept ' + ms);
} };`;

/** An answer of the platform's HTTP API, read whole. */
export interface ApiAnswer {
  status: number;
  text: string;
  json: Record<string, unknown> | null;
  headers: Headers;
}

/** An invocation record as the end-to-end tests read it. */
export interface RecordView {
  status: string;
  trigger: string;
  workerId?: string;
  attempts: { attempt: number; status: string; error?: { code: string; message: string } }[];
  result?: { status: number; body: string };
  error?: { code: string; message: string };
}

/** Polls `probe` until it returns a value; fails the test after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    assert.ok(Date.now() < deadline, `${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Talks to one gateway as one token: the calls end-to-end tests make over and over. */
export class TestApi {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<ApiAnswer> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: Record<string, unknown> | null = null;
    try {
      json = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      json = null;
    }
    return { status: response.status, text, json, headers: response.headers };
  }

  /** Deploys `index.js` with the given manifest fields; fails unless 201. */
  async deploy(name: string, code: string, manifest: Record<string, unknown> = {}): Promise<number> {
    const answer = await this.call('POST', '/api/v1/functions', { manifest: { name, main: 'index.js', ...manifest }, files: { 'index.js': code } });
    assert.equal(answer.status, 201, answer.text);
    return answer.json?.version as number;
  }

  /** Submits an async invocation; fails unless 202; returns its id. */
  async submit(path: string, body: string, headers: Record<string, string> = {}): Promise<string> {
    const answer = await this.call('POST', path, body, { 'content-type': 'text/plain', 'x-isola-invoke': 'async', ...headers });
    assert.equal(answer.status, 202, answer.text);
    return answer.json?.invocationId as string;
  }

  /** The record once it is final (succeeded or failed). */
  async finalRecord(id: string, timeoutMs = 15_000): Promise<RecordView> {
    return eventually(
      `the final record of ${id}`,
      async () => {
        const answer = await this.call('GET', `/api/v1/invocations/${id}`);
        const record = answer.json as RecordView | null;
        return answer.status === 200 && (record?.status === 'succeeded' || record?.status === 'failed') ? record : null;
      },
      timeoutMs,
    );
  }

  /** The record of a sync invocation (written off the hot path, so it may take a moment). */
  async record(id: string): Promise<RecordView> {
    return eventually(`the record of ${id}`, async () => {
      const answer = await this.call('GET', `/api/v1/invocations/${id}`);
      return answer.status === 200 ? (answer.json as unknown as RecordView) : null;
    });
  }
}
