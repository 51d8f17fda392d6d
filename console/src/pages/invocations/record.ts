// The invocation record as GET /api/v1/invocations/{id} returns it (core's InvocationRecord);
// every part beyond id/function/version/trigger/status is read defensively, since records
// written by older platforms may lack it.
import type { InvocationRecord } from '../../api/types.js';

/** The statuses the records can be filtered by (core's `invocationStatuses`). */
export const invocationStatuses = ['succeeded', 'failed'] as const;
export type InvocationStatusFilter = (typeof invocationStatuses)[number];

export interface RecordError {
  code: string;
  message: string;
  details?: { name?: string; stack?: string; [key: string]: unknown };
}

export interface RecordAttempt {
  attempt: number;
  startedAt: string;
  durationMs: number;
  status: string;
  error?: RecordError;
  workerId?: string;
}

export interface RecordLogLine {
  level: string;
  time: number;
  message: string;
}

export interface RecordResult {
  status: number;
  headers: [string, string][];
  headersTruncated?: true;
  body: string;
  bodyTruncated: boolean;
  bodyBytes: number;
}

export interface DetailedRecord extends InvocationRecord {
  error?: RecordError;
  httpStatus?: number;
  coldStart?: boolean;
  startedAt?: string;
  durationMs?: number;
  timings?: { platformMs: number; loadMs: number; runMs: number; cpuMs?: number };
  attempts?: RecordAttempt[];
  async?: { submittedAt: string; maxAttempts: number; nextAttemptAt?: string };
  result?: RecordResult;
  request?: { method?: string; url?: string; path?: string; headers?: [string, string][] | Record<string, string>; bodyBytes?: number; [key: string]: unknown };
  logs?: RecordLogLine[];
  logsTruncated?: boolean;
  workerId?: string;
}

export const triggerLabels: Record<string, string> = {
  http: 'HTTP',
  invoke: 'API invoke',
  rpc: 'RPC',
  message: 'Queue message',
  cron: 'Cron',
};

export function triggerLabel(trigger: string): string {
  return triggerLabels[trigger] ?? trigger;
}

/** The first block of a UUID: enough to tell records apart in a list. */
export function shortId(id: string): string {
  return id.split('-')[0] ?? id;
}
