import { fork, type ChildProcess } from 'node:child_process';
import {
  instanceKey,
  isErrorShape,
  MessageBatcher,
  unbatch,
  type BatchMessage,
  type InvocationOutcome,
  type InvocationRequest,
  type Logger,
  type SupervisorToWorker,
  type WorkerChannel,
  type WorkerToSupervisor,
} from '@isola/core';
import { workerCodeSourceVariable, type FunctionProvider } from './function-provider.js';

const workerEntry = new URL('../worker/main.js', import.meta.url);

interface Pending {
  request: InvocationRequest;
  resolve: (outcome: InvocationOutcome) => void;
}

export interface WorkerProcessOptions {
  id: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  onExit: (worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null) => void;
  /** A worker that has not answered a heartbeat for this long is killed (SIGKILL) and respawned. */
  heartbeatTimeoutMs: number;
  /** A function's isolate took the worker down (fatal V8 error): the culprit, for quarantine. */
  onFunctionCrash: (instanceKey: string, reason: string) => void;
  /** After each finished invocation and heartbeat (the supervisor checks recycling limits). */
  onActivity?: (worker: WorkerProcess) => void;
  /** Where the worker gets function code and secrets; absent: from Redis (REDIS_URL). */
  functions?: FunctionProvider;
}

/**
 * One forked worker process as the supervisor and scheduler see it. Invocations in flight when
 * the process dies are answered at once with FUNCTION_CRASHED, never left hanging.
 */
export class WorkerProcess implements WorkerChannel {
  readonly id: string;
  ready = false;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly outbox = new MessageBatcher<SupervisorToWorker>((message, messages) => this.write(message, messages));
  private readonly warm = new Set<string>();
  /** Instances whose invocations run on the worker's main thread (see longestBlockingMs). */
  private readonly synchronous = new Set<string>();
  private nextRequestId = 1;
  private exited = false;
  /** Set when the worker reported a fatal isolate error just before it ends. */
  private fatal: { instanceKey: string | null; message: string } | null = null;
  private lastPongAt = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private killedUnresponsive = false;

  /** Whether the supervisor itself killed it, for missed heartbeats. */
  get killedForSilence(): boolean {
    return this.killedUnresponsive;
  }
  readonly started: Promise<void>;
  /** Resolves when the process has exited. */
  readonly gone: Promise<void>;
  /** Invocations answered so far. */
  invocations = 0;
  /** Epoch ms when it became ready; null until then. */
  readyAt: number | null = null;
  /** Resident memory as of the last heartbeat. */
  rssBytes = 0;
  /** Taking no new invocations: it finishes those in flight, then stops. */
  draining = false;

  constructor(private readonly options: WorkerProcessOptions) {
    this.id = options.id;
    this.child = fork(workerEntry, [], {
      env: { ...options.env, ISOLA_WORKER_ID: options.id, ...(options.functions === undefined ? {} : { [workerCodeSourceVariable]: 'supervisor' }) },
      execArgv: ['--no-node-snapshot'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.started = new Promise((resolve, reject) => {
      const onMessage = (message: WorkerToSupervisor) => {
        if (message.type !== 'ready') return;
        this.child.off('message', onMessage);
        this.ready = true;
        this.readyAt = Date.now();
        this.startHeartbeat();
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code, signal) => reject(new Error(`worker ${this.id} exited before it was ready (code ${code}, signal ${signal})`)));
    });
    this.started.catch(() => undefined);
    this.gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (received: WorkerToSupervisor | BatchMessage<WorkerToSupervisor>) => unbatch(received, (message) => this.onMessage(message)));
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
    this.child.on('error', (error) => options.logger.error({ err: error, workerId: this.id }, 'worker process error'));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  isWarm(instanceKey: string): boolean {
    return this.warm.has(instanceKey);
  }

  invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    if (this.exited) return Promise.resolve(crashedOutcome(request, this.id, 'the worker had already exited'));
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.pending.set(requestId, { request, resolve });
      this.send({ type: 'invoke', requestId, request });
    });
  }

  /** Asks the worker to exit; kills it if it has not gone after `graceMs`. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'shutdown', requestId: 0 });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  /** Takes the function's loaded instances out of use (workers with a FunctionProvider: its code or secrets changed). */
  evict(functionName: string): void {
    this.send({ type: 'evict', requestId: 0, function: functionName });
  }

  private crashReason(request: InvocationRequest, code: number | null, signal: NodeJS.Signals | null): string {
    const exit = this.killedUnresponsive
      ? `the worker process stopped answering heartbeats for ${this.options.heartbeatTimeoutMs} ms and was killed`
      : `the worker process exited (code ${code}, signal ${signal})`;
    if (this.fatal === null) return exit;
    if (this.fatal.instanceKey === instanceKey(request.function)) {
      return `${exit}: this function's isolate hit a fatal V8 error (${this.fatal.message}), e.g. Map or Set growth past limits.memoryMb`;
    }
    return `${exit}: another function on the same worker hit a fatal V8 error (${this.fatal.message}); retry`;
  }

  private send(message: SupervisorToWorker): void {
    if (this.child.connected) this.outbox.push(message);
  }

  private write(message: SupervisorToWorker | BatchMessage<SupervisorToWorker>, messages: SupervisorToWorker[]): void {
    const failed = (reason: string) => {
      for (const sent of messages) if (sent.type === 'invoke') this.settle(sent.requestId, crashedOutcome(sent.request, this.id, reason));
    };
    if (!this.child.connected) {
      failed('the worker had disconnected');
      return;
    }
    this.child.send(message, (error) => {
      if (error) failed(`IPC send failed: ${error.message}`);
    });
  }

  private onMessage(message: WorkerToSupervisor): void {
    switch (message.type) {
      case 'result':
        if (message.warm) this.warm.add(message.instanceKey);
        else this.warm.delete(message.instanceKey);
        if (message.synchronous) this.synchronous.add(message.instanceKey);
        else this.synchronous.delete(message.instanceKey);
        this.settle(message.requestId, message.outcome);
        this.invocations += 1;
        this.options.onActivity?.(this);
        break;
      case 'evicted':
        for (const key of message.instanceKeys) {
          this.warm.delete(key);
          this.synchronous.delete(key);
        }
        break;
      case 'fatal':
        this.fatal = { instanceKey: message.instanceKey, message: message.message };
        this.options.logger.error({ workerId: this.id, instanceKey: message.instanceKey, reason: message.message }, 'a function crashed its worker');
        if (message.instanceKey !== null) this.options.onFunctionCrash(message.instanceKey, message.message);
        break;
      case 'pong':
        this.lastPongAt = Date.now();
        this.rssBytes = message.rssBytes;
        this.options.onActivity?.(this);
        break;
      case 'version-wanted':
      case 'secrets-wanted':
        void this.provide(message);
        break;
      case 'ready':
        break;
    }
  }

  /** Answers a worker's request for a version or secrets from the FunctionProvider. */
  private async provide(message: Extract<WorkerToSupervisor, { type: 'version-wanted' | 'secrets-wanted' }>): Promise<void> {
    const { requestId } = message;
    try {
      const provider = this.options.functions;
      if (provider === undefined) throw new Error('this worker was started without a function provider');
      if (message.type === 'version-wanted') this.send({ type: 'version-found', requestId, version: await provider.version(message.name, message.version) });
      else this.send({ type: 'secrets-found', requestId, secrets: await provider.secrets(message.name) });
    } catch (caught) {
      const error = isErrorShape(caught) ? caught : { code: 'INTERNAL' as const, message: `the supervisor could not provide the function: ${caught instanceof Error ? caught.message : String(caught)}` };
      if (message.type === 'version-wanted') this.send({ type: 'version-found', requestId, version: null, error });
      else this.send({ type: 'secrets-found', requestId, secrets: {}, error });
    }
  }

  private settle(requestId: number, outcome: InvocationOutcome): void {
    const pending = this.pending.get(requestId);
    if (pending === undefined) return;
    this.pending.delete(requestId);
    pending.resolve(outcome);
    if (this.draining && this.pending.size === 0) void this.stop();
  }

  /**
   * Stops taking invocations; the worker exits once those in flight are answered (their
   * instances and heap go with it).
   */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.ready = false;
    if (this.pending.size === 0) void this.stop();
  }

  /**
   * Pings the worker a few times per timeout; one that stays silent (hung main thread, stopped
   * process) is killed, which fails its in-flight invocations and makes the supervisor respawn it.
   */
  private startHeartbeat(): void {
    const { heartbeatTimeoutMs } = this.options;
    this.lastPongAt = Date.now();
    this.heartbeat = setInterval(() => {
      const silentMs = Date.now() - this.lastPongAt;
      // A quick function's invocations run on the worker's main thread (the synchronous fast
      // path); one that turns slow may hold it for up to its own timeoutMs before V8 stops it.
      if (silentMs > heartbeatTimeoutMs + this.longestBlockingMs()) {
        this.options.logger.error({ workerId: this.id, silentMs }, 'worker stopped answering heartbeats; killing it');
        this.killedUnresponsive = true;
        this.ready = false;
        clearInterval(this.heartbeat);
        this.child.kill('SIGKILL');
        return;
      }
      this.send({ type: 'ping', requestId: 0 });
    }, Math.max(50, Math.floor(heartbeatTimeoutMs / 5)));
    this.heartbeat.unref();
  }

  /** How long the worker's main thread may legitimately be busy with in-flight fast-path invocations. */
  private longestBlockingMs(): number {
    let longest = 0;
    for (const { request } of this.pending.values()) {
      if (this.synchronous.has(instanceKey(request.function))) longest = Math.max(longest, request.limits.timeoutMs);
    }
    return longest;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    clearInterval(this.heartbeat);
    this.exited = true;
    this.ready = false;
    for (const [requestId, pending] of this.pending) {
      this.settle(requestId, crashedOutcome(pending.request, this.id, this.crashReason(pending.request, code, signal)));
    }
    this.options.onExit(this, code, signal);
  }
}

function crashedOutcome(request: InvocationRequest, workerId: string, reason: string): InvocationOutcome {
  return {
    ok: false,
    error: { code: 'FUNCTION_CRASHED', message: `invocation ${request.invocationId} of ${request.function.name} failed: ${reason}` },
    coldStart: false,
    logs: [],
    logsTruncated: false,
    timings: { loadMs: 0, runMs: 0 },
    workerId,
  };
}
