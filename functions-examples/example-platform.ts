// What every example's tests share: ONE real `isola up` (started with --deploy-examples, as
// `npm start` runs it), plus small helpers to call it. Starting a platform costs ~2 s and
// ~200 MB, so examples.test.ts starts one and runs each example's spec module against it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFunctionFolder } from '@isola/cli';
import { spawnPlatform, type SpawnedPlatform } from '@isola/cli/testing';

/** functions-examples/ (this file runs from functions-examples/dist/). */
export const examplesDir = fileURLToPath(new URL('..', import.meta.url));

/** The example folders: those with an isola.yaml, as `isola up --deploy-examples` finds them. */
export function exampleFolders(): string[] {
  return readdirSync(examplesDir)
    .filter((entry) => existsSync(join(examplesDir, entry, 'isola.yaml')))
    .sort();
}

/** An HTTP answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: unknown;
}

export interface RequestOptions {
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** false: send no token (for public functions). Default: the admin token. */
  token?: boolean;
  /** 'manual' to see a redirect instead of following it. */
  redirect?: RequestRedirect;
}

/** Polls `probe` until it returns something other than null/undefined; fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    assert.ok(Date.now() < deadline, `${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The shared platform. Its getters throw until start() has run (in the root before hook). */
export class ExamplePlatform {
  #platform: SpawnedPlatform | undefined;

  get platform(): SpawnedPlatform {
    assert.ok(this.#platform, 'the examples platform is not started: run the specs through examples.test.ts');
    return this.#platform;
  }

  get url(): string {
    return this.platform.url;
  }

  /** Starts `isola up --deploy-examples` and waits until it has deployed every example. */
  async start(): Promise<void> {
    this.#platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' }, args: ['--deploy-examples'] });
    await eventually('isola up --deploy-examples to finish deploying', async () => (this.platform.output().includes('Press Ctrl+C to stop.') ? true : null), 60_000);
  }

  async stop(): Promise<void> {
    await this.#platform?.stop();
  }

  /** A request to the platform (`path` starts with /). */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...(options.token === false ? {} : { authorization: `Bearer ${this.platform.token}` }) };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      if (typeof options.body !== 'string') headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...headers, ...options.headers },
      redirect: options.redirect ?? 'follow',
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /**
   * Deploys an example folder as it is (the server bundles it), with manifest fields replaced
   * by `overrides` (e.g. another `name`, or `egress` naming a local test server). Returns the version.
   */
  async deployFolder(folder: string, overrides: Record<string, unknown> = {}): Promise<number> {
    const { manifest, files } = readFunctionFolder(join(examplesDir, folder));
    return this.deploy({ ...manifest, ...overrides }, files);
  }

  /** Deploys a manifest and its files; fails the test unless the platform answers 201. */
  async deploy(manifest: Record<string, unknown>, files: Record<string, string>): Promise<number> {
    const answer = await this.request('POST', '/api/v1/functions', { body: { manifest, files } });
    assert.equal(answer.status, 201, answer.text);
    return (answer.json as { version: number }).version;
  }

  /** The messages of a function's log lines that contain `search`, oldest first. */
  async logs(name: string, search: string): Promise<string[]> {
    const answer = await this.request('GET', `/api/v1/functions/${name}/logs?search=${encodeURIComponent(search)}&limit=1000`);
    assert.equal(answer.status, 200, answer.text);
    return (answer.json as { lines: { message: string }[] }).lines.map((line) => line.message);
  }

  /**
   * Like logs(), once at least `count` lines match: log lines are stored in batches, about 50 ms
   * after the invocation that wrote them ended.
   */
  async logged(name: string, search: string, count = 1): Promise<string[]> {
    return eventually(`${count} log line(s) of ${name} with "${search}"`, async () => {
      const lines = await this.logs(name, search);
      return lines.length >= count ? lines : null;
    });
  }

  /** An invocation's record once it is final (succeeded or failed). */
  async finalRecord(id: string): Promise<InvocationRecord> {
    return eventually(`the final record of invocation ${id}`, async () => {
      const answer = await this.request('GET', `/api/v1/invocations/${id}`);
      const record = answer.json as InvocationRecord | null;
      return answer.status === 200 && (record?.status === 'succeeded' || record?.status === 'failed') ? record : null;
    });
  }
}

/** The fields of an invocation record the example tests read. */
export interface InvocationRecord {
  id: string;
  status: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed';
  trigger: string;
  result?: { status: number; body: string };
  error?: { code: string; message: string };
  logs: { level: string; message: string }[];
}
