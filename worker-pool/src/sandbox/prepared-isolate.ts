import ivm from 'isolated-vm';
import { connectHostBridges, type HostBridges } from './host-bridges.js';
import type { RuntimeScript } from './runtime-script.js';

/** An isolate with the runtime loaded and its entry points taken, waiting for a function. */
export interface PreparedIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  memoryMb: number;
  /** The instance key of the function loaded into it, once one is (for crash attribution). */
  owner: { key: string | null };
  install: ivm.Reference<(namespace: unknown, envJson: string, maxLogBytes: number, bindingsJson?: string) => void>;
  dispatch: ivm.Reference<(metaJson: string, body: Uint8Array | undefined) => Promise<unknown>>;
  /** Scheduled and queue invocations (runtime/event-dispatch.ts). */
  dispatchEvent: ivm.Reference<(eventJson: string, bodies: (Uint8Array | null)[]) => Promise<unknown>>;
  /** The synchronous fast path: start a dispatch, collect its result (now, or when the bridges hear it settled). */
  start: ivm.Reference<(metaJson: string, body: Uint8Array | undefined) => number>;
  startEvent: ivm.Reference<(eventJson: string, bodies: (Uint8Array | null)[]) => number>;
  collect: ivm.Reference<(ticket: number) => unknown>;
  /** Host capabilities connected to the runtime; the loaded function's settings go here. */
  bridges: HostBridges;
}

export interface PrepareOptions {
  memoryMb: number;
  /** V8 lost control of the isolate: the process must end (see NOTES on fatal OOM). */
  onCatastrophicError: (message: string, ownerKey: string | null) => void;
}

const warmupRounds = 2;
const refillDelayMs = 2;

/**
 * Creates an isolate, runs the runtime in it, takes References to its entry points and hands
 * it the host bridges. The global that exposed them is deleted, so user code can reach neither
 * them nor anything of the host.
 */
export async function prepareIsolate(runtime: RuntimeScript, options: PrepareOptions): Promise<PreparedIsolate> {
  const owner: PreparedIsolate['owner'] = { key: null };
  const isolate = new ivm.Isolate({
    memoryLimit: options.memoryMb,
    onCatastrophicError: (message: string) => options.onCatastrophicError(message, owner.key),
  });
  try {
    const context = await isolate.createContext();
    const script = await runtime.compile(isolate);
    await script.run(context, { timeout: 5_000 });
    script.release();
    // Synchronous: the isolate is idle, so each call is microseconds instead of a thread hop.
    const entry = context.global.getSync('__isolaRuntime', { reference: true });
    const install = entry.getSync('install', { reference: true });
    const dispatch = entry.getSync('dispatch', { reference: true });
    const dispatchEvent = entry.getSync('dispatchEvent', { reference: true });
    const start = entry.getSync('start', { reference: true });
    const startEvent = entry.getSync('startEvent', { reference: true });
    const collect = entry.getSync('collect', { reference: true });
    const warmup = entry.getSync('warmup', { reference: true });
    const bridges = connectHostBridges(entry);
    entry.release();
    context.global.deleteSync('__isolaRuntime');
    // Two rounds, so V8 has allocated feedback for the runtime's hot paths before a function
    // arrives (measured: first dispatch 0.33 → 0.26 ms CPU with 2 rounds instead of 1; more
    // rounds gain nothing and cost every pool isolate ~0.5 ms each).
    for (let round = 0; round < warmupRounds; round += 1) await warmup.apply(undefined, [], { result: { promise: true }, timeout: 5_000 });
    warmup.release();
    return { isolate, context, memoryMb: options.memoryMb, owner, install, dispatch, dispatchEvent, start, startEvent, collect, bridges };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

/**
 * Keeps prepared isolates ready, so a cold start only compiles and evaluates the function.
 * isolated-vm fixes an isolate's memory limit at creation, so there is one small pool per
 * memory size in recent use (the default size always); each refills in the background after
 * every take.
 */
export class PreparedIsolatePool {
  private readonly pools = new Map<number, PreparedIsolate[]>();
  private readonly filling = new Map<number, Promise<void>>();
  private closed = false;

  constructor(
    private readonly runtime: RuntimeScript,
    private readonly options: PrepareOptions & { size: number; maxSizes: number },
  ) {
    this.pools.set(options.memoryMb, []);
  }

  /** Fills the pool of `memoryMb` (default: the default size); resolves when it is full. */
  fill(memoryMb = this.options.memoryMb): Promise<void> {
    let filling = this.filling.get(memoryMb);
    if (filling === undefined) {
      filling = (async () => {
        try {
          const ready = this.pools.get(memoryMb);
          while (!this.closed && ready !== undefined && this.pools.get(memoryMb) === ready && ready.length < this.options.size) {
            ready.push(await prepareIsolate(this.runtime, { ...this.options, memoryMb }));
          }
        } finally {
          this.filling.delete(memoryMb);
        }
      })();
      this.filling.set(memoryMb, filling);
    }
    return filling;
  }

  /** A prepared isolate of the given size: from its pool when one is ready, else a new one. */
  async take(memoryMb: number): Promise<PreparedIsolate> {
    const ready = this.poolFor(memoryMb);
    const prepared = ready.pop();
    // Preparing an isolate costs a few milliseconds of CPU: done now it would slow the cold start
    // that just took one, so the caller refills once that is over (refillSoon). Only an empty
    // pool starts refilling at once.
    if (ready.length === 0) setImmediate(() => void this.fill(memoryMb).catch(() => undefined));
    return prepared ?? prepareIsolate(this.runtime, { ...this.options, memoryMb });
  }

  /** Tops the pool of `memoryMb` up shortly (after the current invocation's answer is sent). */
  refillSoon(memoryMb: number): void {
    const ready = this.pools.get(memoryMb);
    if (ready === undefined || ready.length >= this.options.size || this.filling.has(memoryMb)) return;
    setTimeout(() => void this.fill(memoryMb).catch(() => undefined), refillDelayMs).unref();
  }

  /** Isolates of this size ready to take now. */
  ready(memoryMb: number): number {
    return this.pools.get(memoryMb)?.length ?? 0;
  }

  close(): void {
    this.closed = true;
    for (const ready of this.pools.values()) for (const prepared of ready.splice(0)) prepared.isolate.dispose();
  }

  /** The pool of one size, made most recent; the least recently used other size is dropped. */
  private poolFor(memoryMb: number): PreparedIsolate[] {
    let ready = this.pools.get(memoryMb);
    if (ready !== undefined) {
      this.pools.delete(memoryMb);
    } else {
      ready = [];
      if (this.pools.size >= this.options.maxSizes) {
        const oldest = [...this.pools.keys()].find((size) => size !== this.options.memoryMb);
        if (oldest !== undefined) {
          for (const prepared of this.pools.get(oldest) ?? []) prepared.isolate.dispose();
          this.pools.delete(oldest);
        }
      }
    }
    this.pools.set(memoryMb, ready);
    return ready;
  }
}
