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
  | { type: 'burst'; requestId: number; count: number }
  /** Checks the jobs of the last burst (apart from it, so the checking is not in its time or CPU). */
  | { type: 'check'; requestId: number };

/** One job at a time: submit → completion event, and the submission's share (until Redis or the 202 answered), in ms. */
export interface SequentialResult {
  latenciesMs: number[];
  submitMs: number[];
}

export interface BurstTiming {
  count: number;
  /** First submission → the last one answered (the client's submit rate). */
  submitSeconds: number;
  /** First submission → the completed and failed counts grew by `count` (polled every 2 ms). */
  seconds: number;
  /** Jobs that moved to the failed set during the burst (dead letters); must be 0. */
  failed: number;
}

export interface BurstCheck {
  /** Of the ids submitted in the burst, how many are in the queue's completed set. */
  completedIds: number;
  /** Records checked and found `succeeded` (http only; null when not checked). */
  succeededRecords: number | null;
}

export type BurstResult = BurstTiming & BurstCheck;

export type AsyncReply =
  | { type: 'ready' }
  | { type: 'sequential-done'; requestId: number; result: SequentialResult }
  | { type: 'burst-done'; requestId: number; result: BurstTiming }
  | { type: 'check-done'; requestId: number; result: BurstCheck }
  | { type: 'failed'; requestId: number | null; message: string };
