// AbortController and AbortSignal (DOM spec), on the runtime's EventTarget. Reasons default to
// DOMExceptions with Node's messages. AbortSignal.timeout() uses whatever `setTimeout` the
// global object has when it is called: timers come from a host bridge, not from this module.
import { DOMException } from './dom-exception.js';
import { Event, EventTarget, eventHandlerOf, setEventHandler, setListenerSignalWatcher, trustEvent } from './events.js';

const reflectApply = Reflect.apply;
// Captured: firing `abort` is internal and must not go through a user-patched prototype.
const dispatchEvent = EventTarget.prototype.dispatchEvent;

// Lets the runtime create signals while `new AbortSignal()` stays an illegal constructor.
const CREATE = Symbol('AbortSignal.create');

/** A new, not yet aborted signal (for AbortController and the runtime's own uses). */
export let createAbortSignal: () => AbortSignal;
/** The DOM's "signal abort": sets the reason, runs internal steps, fires `abort`, then dependents. */
export let signalAbort: (signal: AbortSignal, reason: unknown) => void;
export let isAbortSignal: (value: unknown) => value is AbortSignal;
/** A new signal that follows `source` (Request.signal); one that never aborts for null. */
export let followSignal: (source: AbortSignal | null) => AbortSignal;

function abortError(): DOMException {
  return new DOMException('This operation was aborted', 'AbortError');
}

/** WebIDL `[EnforceRange] unsigned long long`. */
function toMilliseconds(value: unknown): number {
  const number = Number(value);
  if (!Number.isFinite(number)) throw new TypeError(`AbortSignal.timeout: ${String(number)} is not a finite number of milliseconds`);
  const truncated = Math.trunc(number);
  if (truncated < 0 || truncated > Number.MAX_SAFE_INTEGER) {
    throw new TypeError(`AbortSignal.timeout: ${truncated} is outside the range of milliseconds 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  return truncated;
}

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  /** Internal steps run on abort before the event (listeners added with `{ signal }`). */
  #algorithms: (() => void)[] = [];
  /** Signals made by AbortSignal.any() that follow this one, and the sources a dependent follows. */
  #dependents: AbortSignal[] = [];
  #sources: AbortSignal[] = [];

  static {
    createAbortSignal = () => new AbortSignal(CREATE);
    isAbortSignal = (value): value is AbortSignal => typeof value === 'object' && value !== null && #aborted in value;
    followSignal = (source) => (source === null ? createAbortSignal() : AbortSignal.#dependentOn([source]));
    signalAbort = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? abortError() : reason;
      const dependents: AbortSignal[] = [];
      for (const dependent of signal.#dependents) {
        if (dependent.#aborted) continue;
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
        dependents[dependents.length] = dependent;
      }
      signal.#dependents = [];
      AbortSignal.#runAbortSteps(signal);
      for (const dependent of dependents) AbortSignal.#runAbortSteps(dependent);
    };
    setListenerSignalWatcher((signal, onAbort) => {
      if (!(typeof signal === 'object' && signal !== null && #aborted in signal)) return 'not-a-signal';
      if (signal.#aborted) return 'aborted';
      signal.#algorithms[signal.#algorithms.length] = onAbort;
      return 'watching';
    });
  }

  static #runAbortSteps(signal: AbortSignal): void {
    // A dependent that aborted no longer needs its other sources to hold it.
    for (const source of signal.#sources) {
      const index = source.#dependents.indexOf(signal);
      if (index !== -1) source.#dependents.splice(index, 1);
    }
    signal.#sources = [];
    const algorithms = signal.#algorithms;
    signal.#algorithms = [];
    for (const algorithm of algorithms) algorithm();
    reflectApply(dispatchEvent, signal, [trustEvent(new Event('abort'))]);
  }

  constructor(token?: unknown) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
    super();
  }

  /** An already aborted signal; the reason defaults to an AbortError DOMException. */
  static abort(reason?: unknown): AbortSignal {
    const signal = createAbortSignal();
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortError() : reason;
    return signal;
  }

  /** A signal that aborts with a TimeoutError DOMException after `milliseconds`. */
  static timeout(milliseconds: unknown): AbortSignal {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'timeout' on 'AbortSignal': 1 argument required, but only 0 present.");
    const delay = toMilliseconds(milliseconds);
    // Looked up now, not at load: timers are installed by the host after the runtime loads.
    const setTimeout: unknown = (globalThis as { setTimeout?: unknown }).setTimeout;
    if (typeof setTimeout !== 'function') {
      throw new DOMException('AbortSignal.timeout() needs setTimeout, which this sandbox does not provide', 'NotSupportedError');
    }
    const signal = createAbortSignal();
    const onTimeout = () => signalAbort(signal, new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    reflectApply(setTimeout, globalThis, [onTimeout, delay]);
    return signal;
  }

  /** A signal that aborts when the first of `signals` does, with its reason. */
  static any(signals: unknown): AbortSignal {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'any' on 'AbortSignal': 1 argument required, but only 0 present.");
    if (typeof signals !== 'object' || signals === null || typeof (signals as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw new TypeError("Failed to execute 'any' on 'AbortSignal': The provided value cannot be converted to a sequence.");
    }
    const sources: AbortSignal[] = [];
    for (const source of signals as Iterable<unknown>) {
      if (!(typeof source === 'object' && source !== null && #aborted in source)) {
        throw new TypeError("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.");
      }
      sources[sources.length] = source;
    }
    return AbortSignal.#dependentOn(sources);
  }

  static #dependentOn(sources: AbortSignal[]): AbortSignal {
    const result = createAbortSignal();
    for (const source of sources) {
      if (source.#aborted) {
        result.#aborted = true;
        result.#reason = source.#reason;
        return result;
      }
    }
    for (const source of sources) {
      if (result.#sources.includes(source)) continue;
      result.#sources[result.#sources.length] = source;
      source.#dependents[source.#dependents.length] = result;
    }
    return result;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  get onabort(): unknown {
    return eventHandlerOf(this, 'abort');
  }

  set onabort(handler: unknown) {
    setEventHandler(this, 'abort', handler);
  }
}

export class AbortController {
  readonly #signal = createAbortSignal();

  get signal(): AbortSignal {
    return this.#signal;
  }

  abort(reason?: unknown): void {
    signalAbort(this.#signal, reason);
  }
}
