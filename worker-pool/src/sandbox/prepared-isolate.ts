import ivm from 'isolated-vm';
import type { RuntimeScript } from './runtime-script.js';

/** An isolate with the runtime loaded and its two entry points taken, waiting for a function. */
export interface PreparedIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  memoryMb: number;
  install: ivm.Reference<(namespace: unknown, envJson: string, maxLogBytes: number) => void>;
  dispatch: ivm.Reference<(metaJson: string, body: Uint8Array | undefined) => Promise<unknown>>;
}

export interface PrepareOptions {
  memoryMb: number;
  /** V8 lost control of the isolate: the process must end (see NOTES on fatal OOM). */
  onCatastrophicError: (message: string) => void;
}

/**
 * Creates an isolate, runs the runtime in it and takes References to its entry points. The
 * global that exposed them is deleted, so user code can reach neither them nor anything of
 * the host.
 */
export async function prepareIsolate(runtime: RuntimeScript, options: PrepareOptions): Promise<PreparedIsolate> {
  const isolate = new ivm.Isolate({ memoryLimit: options.memoryMb, onCatastrophicError: options.onCatastrophicError });
  try {
    const context = await isolate.createContext();
    const script = await runtime.compile(isolate);
    await script.run(context, { timeout: 5_000 });
    script.release();
    const entry = await context.global.get('__isolaRuntime', { reference: true });
    const install = await entry.get('install', { reference: true });
    const dispatch = await entry.get('dispatch', { reference: true });
    entry.release();
    await context.global.delete('__isolaRuntime');
    return { isolate, context, memoryMb: options.memoryMb, install, dispatch };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

/**
 * Keeps prepared isolates of the default memory size ready, so a cold start only compiles and
 * evaluates the function. Refills in the background after each take.
 */
export class PreparedIsolatePool {
  private readonly ready: PreparedIsolate[] = [];
  private filling: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly runtime: RuntimeScript,
    private readonly options: PrepareOptions & { size: number },
  ) {}

  /** Fills the pool; resolves when it is full. */
  fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        while (!this.closed && this.ready.length < this.options.size) {
          this.ready.push(await prepareIsolate(this.runtime, this.options));
        }
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }

  /** A prepared isolate of the given size: from the pool when it matches, else a new one. */
  async take(memoryMb: number): Promise<PreparedIsolate> {
    if (memoryMb === this.options.memoryMb) {
      const prepared = this.ready.pop();
      if (prepared !== undefined) {
        setImmediate(() => void this.fill().catch(() => undefined));
        return prepared;
      }
    }
    return prepareIsolate(this.runtime, { ...this.options, memoryMb });
  }

  close(): void {
    this.closed = true;
    for (const prepared of this.ready.splice(0)) prepared.isolate.dispose();
  }
}
