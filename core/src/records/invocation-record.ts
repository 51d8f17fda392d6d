import { statusOf } from '../errors/catalogue.js';
import type { ErrorShape } from '../errors/isola-error.js';
import type { InvocationOutcome, InvocationRequest, LogLine } from '../invocation/types.js';
import { cutToJsonBytes, utf8Excerpt } from './text-excerpt.js';

/** How an invocation was started (SPEC §3, §5). */
export type InvocationTrigger = 'http' | 'invoke' | 'rpc' | 'message' | 'cron';

/**
 * `failed` only when the platform or the function's code failed (an error outcome: threw,
 * timed out, crashed, overloaded...). A 4xx or 5xx Response returned by the function is a
 * `succeeded` invocation. Async invocations are `queued` until their first try and `retrying`
 * between tries; `failed` is then final: every try failed and the invocation is a dead letter.
 */
export type InvocationStatus = 'queued' | 'retrying' | FinalInvocationStatus;
export type FinalInvocationStatus = 'succeeded' | 'failed';

/** The statuses an invocation ends in (and that the records can be filtered by). */
export const invocationStatuses = ['succeeded', 'failed'] as const satisfies readonly FinalInvocationStatus[];

/** One try of an invocation. Sync invocations have one; async retries append more. */
export interface InvocationAttempt {
  attempt: number;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  status: FinalInvocationStatus;
  error?: ErrorShape;
  /** The worker process that ran it. */
  workerId?: string;
}

/** The start of the function's Response, as kept in the record. */
export interface RecordedResult {
  status: number;
  headers: [string, string][];
  /** True when headers were left out to keep the record small. */
  headersTruncated?: true;
  /** The body's start as UTF-8 text (at most 4 KiB; bytes that are not UTF-8 become U+FFFD). */
  body: string;
  bodyTruncated: boolean;
  /** The whole body's size. */
  bodyBytes: number;
}

/** What Isola keeps about one finished invocation (`GET /api/v1/invocations/{id}`). */
export interface InvocationRecord {
  id: string;
  function: string;
  version: number;
  trigger: InvocationTrigger;
  status: InvocationStatus;
  error?: ErrorShape;
  /** The HTTP status the client got. */
  httpStatus: number;
  coldStart: boolean;
  /** ISO 8601: when the gateway received the invocation. */
  startedAt: string;
  /** Wall time from receipt to outcome. */
  durationMs: number;
  timings: {
    /** The platform's share: durationMs − runMs, so it includes loadMs (as the `isola` entry of Server-Timing). */
    platformMs: number;
    loadMs: number;
    runMs: number;
    cpuMs?: number;
  };
  attempts: InvocationAttempt[];
  /** Async invocations: when it was accepted, how many tries it may take, when the next one is due. */
  async?: { submittedAt: string; maxAttempts: number; nextAttemptAt?: string };
  /** Present when the function returned a Response. */
  result?: RecordedResult;
  /** The first log lines (at most 20 and 4 KiB); all lines are in the function's log stream. */
  logs: LogLine[];
  /** True when lines were left out here or dropped by the runtime's per-invocation cap. */
  logsTruncated: boolean;
  workerId: string;
}

/** What the gateway hands over once an invocation has finished. */
export interface InvocationRecordInput {
  request: InvocationRequest;
  outcome: InvocationOutcome;
  trigger: InvocationTrigger;
  /** Wall time from the gateway receiving the invocation to its outcome. */
  elapsedMs: number;
  /** The version that served; defaults to `request.function.version`. */
  version?: number;
  /** When the gateway received the invocation (epoch ms); defaults to when it was recorded minus `elapsedMs`. */
  startedAt?: number;
  /** The status the client got, when it is not the one the outcome implies. */
  httpStatus?: number;
  /** Async invocations: where this try stands among the invocation's tries. */
  lifecycle?: AttemptLifecycle;
}

/** One try of an async invocation, with the tries before it. */
export interface AttemptLifecycle {
  /** `retrying` when another try follows, else the final status. */
  status: InvocationStatus;
  /** 1 for the first try. */
  attempt: number;
  maxAttempts: number;
  /** Epoch ms the platform accepted the invocation. */
  submittedAt: number;
  /** Epoch ms this try started. */
  attemptStartedAt: number;
  /** Tries before this one, as recorded then. */
  previousAttempts: InvocationAttempt[];
  /** Epoch ms the next try is due, when one follows. */
  nextAttemptAt?: number;
}

/** Size limits of a record's parts, in bytes of serialized JSON. */
export const recordLimits = {
  bodyBytes: 4 * 1024,
  logBytes: 4 * 1024,
  logLines: 20,
  headerBytes: 2 * 1024,
  headerValueBytes: 1024,
  errorMessageBytes: 1024,
  errorDetailsBytes: 1024,
  /** The whole record; the parts' limits keep it below this, a last check enforces it. */
  recordBytes: 16 * 1024,
} as const;

/**
 * An input reduced to what the record needs, taken on the hot path: the request is left
 * behind and the response body cut to its first bytes (copied, so a large body's memory is
 * not held while the record waits to be written). The log lines are kept whole for the stream.
 */
export interface CapturedInvocation {
  id: string;
  functionName: string;
  version: number;
  trigger: InvocationTrigger;
  elapsedMs: number;
  /** Epoch ms, whole. */
  startedAtMs: number;
  httpStatus: number;
  /** The outcome without its response body. */
  outcome: InvocationOutcome;
  bodyHead: Uint8Array | undefined;
  bodyBytes: number;
  status: InvocationStatus;
  lifecycle?: AttemptLifecycle;
  /** Written only when no record exists yet (a `queued` record must not replace a later one). */
  onlyIfAbsent?: true;
}

export function captureInvocation(input: InvocationRecordInput, now: number): CapturedInvocation {
  const { outcome, request } = input;
  const body = outcome.ok ? outcome.response.body : undefined;
  return {
    id: request.invocationId,
    functionName: request.function.name,
    version: input.version ?? request.function.version,
    trigger: input.trigger,
    elapsedMs: input.elapsedMs,
    startedAtMs: Math.round(input.startedAt ?? now - input.elapsedMs),
    httpStatus: input.httpStatus ?? (outcome.ok ? outcome.response.status : statusOf(outcome.error.code)),
    outcome: outcome.ok && body !== undefined ? { ...outcome, response: { ...outcome.response, body: undefined } } : outcome,
    bodyHead: body === undefined || body.byteLength <= recordLimits.bodyBytes ? body : body.slice(0, recordLimits.bodyBytes),
    bodyBytes: body?.byteLength ?? 0,
    status: input.lifecycle?.status ?? invocationStatusOf(outcome),
    ...(input.lifecycle === undefined ? {} : { lifecycle: input.lifecycle }),
  };
}

/** What the platform knows of an async invocation it has just accepted. */
export interface QueuedInvocationInput {
  invocationId: string;
  function: string;
  version: number;
  trigger: InvocationTrigger;
  submittedAt: number;
  maxAttempts: number;
}

/** The `queued` record of an accepted async invocation; it never replaces a record already written. */
export function captureQueuedInvocation(input: QueuedInvocationInput): CapturedInvocation {
  return {
    id: input.invocationId,
    functionName: input.function,
    version: input.version,
    trigger: input.trigger,
    elapsedMs: 0,
    startedAtMs: input.submittedAt,
    httpStatus: 202,
    outcome: { ok: true, response: { status: 202, statusText: 'Accepted', headers: [] }, coldStart: false, logs: [], logsTruncated: false, timings: { loadMs: 0, runMs: 0 }, workerId: '' },
    bodyHead: undefined,
    bodyBytes: 0,
    status: 'queued',
    lifecycle: { status: 'queued', attempt: 0, maxAttempts: input.maxAttempts, submittedAt: input.submittedAt, attemptStartedAt: input.submittedAt, previousAttempts: [] },
    onlyIfAbsent: true,
  };
}

export function invocationStatusOf(outcome: InvocationOutcome): FinalInvocationStatus {
  return outcome.ok ? 'succeeded' : 'failed';
}

/** Builds the record of a captured invocation, within `recordLimits`. */
export function buildInvocationRecord(captured: CapturedInvocation): InvocationRecord {
  const { outcome, lifecycle } = captured;
  const status = captured.status;
  const error = outcome.ok ? undefined : boundedError(outcome.error);
  const startedAt = new Date(captured.startedAtMs).toISOString();
  const durationMs = round(captured.elapsedMs);
  const logs = logExcerpt(outcome.logs);
  const record: InvocationRecord = {
    id: captured.id,
    function: captured.functionName,
    version: captured.version,
    trigger: captured.trigger,
    status,
    ...(error === undefined ? {} : { error }),
    httpStatus: captured.httpStatus,
    coldStart: outcome.coldStart,
    startedAt,
    durationMs,
    timings: {
      platformMs: round(Math.max(0, captured.elapsedMs - outcome.timings.runMs)),
      loadMs: round(outcome.timings.loadMs),
      runMs: round(outcome.timings.runMs),
      ...(outcome.timings.cpuMs === undefined ? {} : { cpuMs: round(outcome.timings.cpuMs) }),
    },
    attempts: lifecycle === undefined ? [{ attempt: 1, startedAt, durationMs, status: invocationStatusOf(outcome), ...(error === undefined ? {} : { error }) }] : asyncAttempts(captured, lifecycle, error),
    ...(lifecycle === undefined ? {} : { async: asyncPart(lifecycle) }),
    ...(outcome.ok && status !== 'queued' ? { result: recordedResult(outcome.response.status, outcome.response.headers, captured) } : {}),
    logs: logs.lines,
    logsTruncated: outcome.logsTruncated || logs.cut,
    workerId: outcome.workerId,
  };
  return record;
}

/**
 * The record as JSON, at most `recordLimits.recordBytes`. The parts' limits already keep it
 * there; should a record still be larger (a very long function name or worker id), its body
 * and logs are emptied and marked truncated.
 */
/** The record of an invocation that finished `now` (epoch ms). */
export function toInvocationRecord(input: InvocationRecordInput, now = Date.now()): InvocationRecord {
  return buildInvocationRecord(captureInvocation(input, now));
}

export function serializeInvocationRecord(record: InvocationRecord): string {
  const json = JSON.stringify(record);
  if (Buffer.byteLength(json) <= recordLimits.recordBytes) return json;
  const smaller: InvocationRecord = { ...record, logs: [], logsTruncated: true };
  if (record.result !== undefined) smaller.result = { ...record.result, headers: [], headersTruncated: true, body: '', bodyTruncated: true };
  return JSON.stringify(smaller);
}

/** The tries of an async invocation: the earlier ones as recorded, then this one (none while queued). */
function asyncAttempts(captured: CapturedInvocation, lifecycle: AttemptLifecycle, error: ErrorShape | undefined): InvocationAttempt[] {
  if (lifecycle.attempt === 0) return [];
  const current: InvocationAttempt = {
    attempt: lifecycle.attempt,
    startedAt: new Date(lifecycle.attemptStartedAt).toISOString(),
    durationMs: round(attemptDurationMs(captured, lifecycle)),
    status: invocationStatusOf(captured.outcome),
    ...(error === undefined ? {} : { error }),
    ...(captured.outcome.workerId === '' ? {} : { workerId: captured.outcome.workerId }),
  };
  return [...lifecycle.previousAttempts, current];
}

/** Wall time of one try: from its start to the outcome. */
export function attemptDurationMs(captured: CapturedInvocation, lifecycle: AttemptLifecycle): number {
  return Math.max(0, captured.startedAtMs + captured.elapsedMs - lifecycle.attemptStartedAt);
}

function asyncPart(lifecycle: AttemptLifecycle): NonNullable<InvocationRecord['async']> {
  return {
    submittedAt: new Date(lifecycle.submittedAt).toISOString(),
    maxAttempts: lifecycle.maxAttempts,
    ...(lifecycle.nextAttemptAt === undefined ? {} : { nextAttemptAt: new Date(lifecycle.nextAttemptAt).toISOString() }),
  };
}

/** The record of one try, as kept in the job for the tries after it. */
export function attemptOf(captured: CapturedInvocation): InvocationAttempt | undefined {
  const { lifecycle } = captured;
  if (lifecycle === undefined || lifecycle.attempt === 0) return undefined;
  const error = captured.outcome.ok ? undefined : boundedError(captured.outcome.error);
  return asyncAttempts(captured, lifecycle, error).at(-1);
}

function recordedResult(status: number, headers: [string, string][], captured: CapturedInvocation): RecordedResult {
  const body = captured.bodyHead === undefined ? { text: '', cut: false } : utf8Excerpt(captured.bodyHead, recordLimits.bodyBytes);
  const kept: [string, string][] = [];
  let used = 0;
  let headersCut = false;
  for (const [name, value] of headers) {
    const shortName = cutToJsonBytes(name, recordLimits.headerValueBytes);
    const shortValue = cutToJsonBytes(value, recordLimits.headerValueBytes);
    const cost = shortName.jsonBytes + shortValue.jsonBytes + 8;
    if (used + cost > recordLimits.headerBytes) {
      headersCut = true;
      break;
    }
    used += cost;
    headersCut ||= shortName.cut || shortValue.cut;
    kept.push([shortName.text, shortValue.text]);
  }
  return {
    status,
    headers: kept,
    ...(headersCut ? { headersTruncated: true as const } : {}),
    body: body.text,
    bodyTruncated: body.cut || captured.bodyBytes > (captured.bodyHead?.byteLength ?? 0),
    bodyBytes: captured.bodyBytes,
  };
}

/** The first lines that fit in `recordLimits`; the last one kept may be cut short. */
function logExcerpt(lines: readonly LogLine[]): { lines: LogLine[]; cut: boolean } {
  const kept: LogLine[] = [];
  // Field names, level, time and punctuation of one line, generously.
  const lineOverhead = 56;
  let budget = recordLimits.logBytes;
  for (const line of lines) {
    if (kept.length === recordLimits.logLines || budget <= lineOverhead) return { lines: kept, cut: true };
    const message = cutToJsonBytes(line.message, budget - lineOverhead);
    kept.push({ level: line.level, time: line.time, message: message.text });
    if (message.cut) return { lines: kept, cut: true };
    budget -= lineOverhead + message.jsonBytes;
  }
  return { lines: kept, cut: false };
}

/** The error with its message and details cut to `recordLimits`. */
function boundedError(error: ErrorShape): ErrorShape {
  const message = cutToJsonBytes(error.message, recordLimits.errorMessageBytes);
  const bounded: ErrorShape = { code: error.code, message: message.cut ? `${message.text}…` : message.text };
  if (error.details === undefined) return bounded;
  let detailsJson: string | undefined;
  try {
    detailsJson = JSON.stringify(error.details);
  } catch {
    detailsJson = undefined;
  }
  if (detailsJson === undefined) return bounded;
  if (Buffer.byteLength(detailsJson) <= recordLimits.errorDetailsBytes) return { ...bounded, details: error.details };
  // Too large to keep as data: keep the start of its JSON text instead.
  return { ...bounded, details: { truncated: true, json: cutToJsonBytes(detailsJson, recordLimits.errorDetailsBytes - 40).text } };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
