/**
 * What the async benchmark's orchestrator (async.ts) and its client process (async-client.ts)
 * say to each other over the fork IPC channel. Each command carries a `requestId`; the client
 * answers it with exactly one reply of the same id (its result, or `failed`). Closing the
 * channel tells the client to close its connections and exit.
 */

/** Where the client submits: raw BullMQ `Queue.add`, or Isola's HTTP async trigger. */
export type SubmitTarget =
  | { kind: 'bullmq' }
  | { kind: 'http'; url: string; headers: Record<string, string> };

/** The client's configuration, passed as its one command-line argument (JSON). */
export interface AsyncClientConfig {
  target: SubmitTarget;
  redisUrl: string;
  /** The BullMQ queue whose completions the client watches (and, for `bullmq`, adds to). */
  queue: { name: string; prefix: string };
  /** At most this many submissions in flight during a burst (HTTP connections, or pending adds). */
  inFlight: number;
  /** Job options of the raw jobs, the same as Isola's (attempts, removeOnComplete). */
  rawJobAttempts: number;
  keepCompletedSeconds: number;
  /** Redis key prefix of Isola's invocation records, to check each one (http only); null to skip. */
  recordKeyPrefix: string | null;
  /** Fail a burst or a sequential step that has not completed within this long. */
  timeoutMs: number;
}

export type AsyncCommand =
  | { type: 'sequential'; requestId: number; count: number }
  | { type: 'burst'; requestId: number; count: number };

export interface BurstResult {
  count: number;
  /** First submission → the last one answered (the client's submit rate). */
  submitSeconds: number;
  /** First submission → the completed count reached `count` (polled every millisecond). */
  seconds: number;
  /** Of the ids submitted in this burst, how many are in the queue's completed set afterwards. */
  completedIds: number;
  /** Jobs that moved to the failed set during the burst (dead letters); must be 0. */
  failed: number;
  /** Records checked and found `succeeded` (http only; null when not checked). */
  succeededRecords: number | null;
}

export type AsyncReply =
  | { type: 'ready' }
  | { type: 'sequential-done'; requestId: number; latenciesMs: number[] }
  | { type: 'burst-done'; requestId: number; result: BurstResult }
  | { type: 'failed'; requestId: number | null; message: string };
