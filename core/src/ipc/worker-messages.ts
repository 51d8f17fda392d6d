import type { ErrorShape } from '../errors/isola-error.js';
import type { InvocationOutcome, InvocationRequest } from '../invocation/types.js';
import type { FunctionVersionWithCode } from '../store/function-store.js';

/**
 * Messages between the supervisor and a worker process (child_process IPC, advanced
 * serialization so bodies travel as bytes). Every message has a `type` and a `requestId`;
 * replies echo the request's id; unsolicited messages use 0. Requests a worker makes
 * (`version-wanted`, `secrets-wanted`) number their own ids.
 */
export type SupervisorToWorker =
  | { type: 'invoke'; requestId: number; request: InvocationRequest }
  | { type: 'shutdown'; requestId: number }
  | { type: 'ping'; requestId: number }
  /**
   * Answers to a worker whose functions come from its supervisor (no Redis: `isola dev`, the
   * testing helper). `error`: the supervisor could not look; null version: there is none.
   */
  | { type: 'version-found'; requestId: number; version: FunctionVersionWithCode | null; error?: ErrorShape }
  | { type: 'secrets-found'; requestId: number; secrets: Record<string, string>; error?: ErrorShape }
  /** The function's code or secrets changed: its loaded instances go, the next invocation loads anew. */
  | { type: 'evict'; requestId: 0; function: string };

export type WorkerToSupervisor =
  | { type: 'ready'; requestId: 0; pid: number }
  /** `rssBytes`: the worker's resident memory, for recycling. */
  | { type: 'pong'; requestId: number; rssBytes: number }
  /** `warm`: whether the worker still holds the instance that ran it (so the scheduler can prefer it). */
  /**
   * `synchronous`: whether that instance's next invocations run on the worker's main thread
   * (the fast path), which may then be busy for up to the function's timeoutMs.
   */
  | { type: 'result'; requestId: number; outcome: InvocationOutcome; instanceKey: string; warm: boolean; synchronous: boolean }
  | { type: 'evicted'; requestId: 0; instanceKeys: string[] }
  /** V8 lost control of an isolate; the worker aborts right after. `instanceKey`: whose isolate it was. */
  | { type: 'fatal'; requestId: 0; instanceKey: string | null; message: string }
  /** A worker whose functions come from its supervisor asks for a version's code, and for a function's secrets. */
  | { type: 'version-wanted'; requestId: number; name: string; version: number }
  | { type: 'secrets-wanted'; requestId: number; name: string };
