import { randomUUID } from 'node:crypto';
import { defaultLimits } from '../manifest/schema.js';
import type { ErrorShape } from '../errors/isola-error.js';
import type { LogLine } from '../invocation/types.js';
import type { InvocationRecordInput } from './invocation-record.js';

/** What a test varies about a finished invocation; everything else gets a plain default. */
export interface TestInvocation {
  name?: string;
  id?: string;
  version?: number;
  /** The function answered with this status (ignored when `error` is set). */
  status?: number;
  body?: Uint8Array | string;
  headers?: [string, string][];
  error?: ErrorShape;
  logs?: LogLine[];
  logsTruncated?: boolean;
  coldStart?: boolean;
  elapsedMs?: number;
  startedAt?: number;
}

/** A finished HTTP invocation as the gateway would hand it to the recorder (test data). */
export function finishedInvocation(test: TestInvocation = {}): InvocationRecordInput {
  const name = test.name ?? 'hello';
  const version = test.version ?? 1;
  const elapsedMs = test.elapsedMs ?? 5;
  const common = {
    coldStart: test.coldStart ?? false,
    logs: test.logs ?? [],
    logsTruncated: test.logsTruncated ?? false,
    timings: { loadMs: test.coldStart === true ? 2 : 0, runMs: Math.max(0, elapsedMs - 1), cpuMs: 0.5 },
    workerId: 'worker-1',
  };
  const body = typeof test.body === 'string' ? new TextEncoder().encode(test.body) : test.body;
  return {
    request: {
      invocationId: test.id ?? randomUUID(),
      function: { name, version, codeHash: 'hash' },
      limits: { ...defaultLimits },
      trigger: 'http',
      request: { method: 'GET', url: `http://localhost/fn/${name}`, headers: [] },
    },
    outcome:
      test.error === undefined
        ? { ...common, ok: true, response: { status: test.status ?? 200, statusText: '', headers: test.headers ?? [['content-type', 'text/plain']], body } }
        : { ...common, ok: false, error: test.error },
    trigger: 'http',
    elapsedMs,
    ...(test.startedAt === undefined ? {} : { startedAt: test.startedAt }),
  };
}
