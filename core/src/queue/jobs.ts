import type { FunctionRef, ScheduledEventPayload } from '../invocation/types.js';
import type { Limits } from '../manifest/schema.js';
import type { InvocationAttempt, InvocationTrigger } from '../records/invocation-record.js';
import type { BackoffPolicy } from './backoff.js';
import type { CloudEvent } from './cloud-events.js';

/** The BullMQ job name of an async invocation in a function's queue. */
export const invocationJobName = 'invoke';
/** The BullMQ job name of a message in a topic's queue. */
export const messageJobName = 'message';

/** An HTTP request kept for an async invocation (JSON: the body travels as base64). */
export interface StoredHttpRequest {
  method: string;
  url: string;
  headers: [string, string][];
  bodyBase64?: string;
}

/**
 * What a function queue's job carries: everything a worker host needs to run the invocation
 * without another lookup. The version is chosen at submission (by the alias then), so a
 * redeploy does not change what an accepted invocation runs.
 */
export interface InvocationJobData {
  invocationId: string;
  function: FunctionRef;
  limits: Limits;
  trigger: Extract<InvocationTrigger, 'http' | 'invoke' | 'cron'>;
  backoff: BackoffPolicy;
  /** Epoch ms when the platform accepted it. */
  submittedAt: number;
  /** HTTP and invoke triggers: the request for `fetch`. */
  request?: StoredHttpRequest;
  /** Cron: the tick for `scheduled`. */
  scheduled?: ScheduledEventPayload;
  /** Where to POST the final record (X-Isola-Callback-Url). */
  callbackUrl?: string;
  /** Tries that failed before this one, appended before each retry (for the record). */
  attempts?: InvocationAttempt[];
  /** How many of `attempts` are tries lost with their worker host (BullMQ counts those apart). */
  lostRecorded?: number;
  /** Starts that never ran the function: handed back by a stopping host, or held back by a limit. */
  notRun?: number;
}

/** What a topic queue's job carries: the CloudEvent as published. */
export interface MessageJobData {
  event: CloudEvent;
}
