// DOM Event, CustomEvent and EventTarget for targets without a tree (as in workers): an event
// is dispatched at its target only, capture listeners first (the DOM spec's order; Node calls
// listeners in registration order whatever their capture flag). A listener that throws does
// not stop the others: the error is reported to the invocation's log, as a browser reports it
// to the console.
import { DOMException } from './dom-exception.js';
import { isObject, toDictionary, toDOMString } from './webidl.js';

const reflectApply = Reflect.apply;

/** Where errors thrown by listeners go (index.ts points it at the log). */
let reportListenerError: (error: unknown) => void = () => {};

export function setListenerErrorReporter(report: (error: unknown) => void): void {
  reportListenerError = report;
}

const NONE = 0;
const CAPTURING_PHASE = 1;
const AT_TARGET = 2;
const BUBBLING_PHASE = 3;

// Set once so `performance.now()`-like timestamps are small numbers, as in browsers and Node.
const timeOrigin = Date.now();

/** Internal access for EventTarget and AbortSignal (private state stays private). */
let beginDispatch: (event: Event, target: EventTarget) => void;
let endDispatch: (event: Event) => void;
let dispatchState: (event: Event) => { type: string; dispatching: boolean; stopped: boolean; canceled: boolean };
let setPassive: (event: Event, passive: boolean) => void;
/** Marks an event as dispatched by the runtime (`isTrusted`), like a browser's abort event. */
export let trustEvent: (event: Event) => Event;

export class Event {
  declare static readonly NONE: 0;
  declare static readonly CAPTURING_PHASE: 1;
  declare static readonly AT_TARGET: 2;
  declare static readonly BUBBLING_PHASE: 3;
  declare readonly NONE: 0;
  declare readonly CAPTURING_PHASE: 1;
  declare readonly AT_TARGET: 2;
  declare readonly BUBBLING_PHASE: 3;

  #type: string;
  #bubbles: boolean;
  #cancelable: boolean;
  #composed: boolean;
  #canceled = false;
  #stopPropagation = false;
  #stopImmediatePropagation = false;
  #dispatching = false;
  #inPassiveListener = false;
  #trusted = false;
  #target: EventTarget | null = null;
  #currentTarget: EventTarget | null = null;
  #phase = NONE;
  readonly #timeStamp = Date.now() - timeOrigin;

  static {
    beginDispatch = (event, target) => {
      event.#dispatching = true;
      event.#target = target;
      event.#currentTarget = target;
      event.#phase = AT_TARGET;
    };
    endDispatch = (event) => {
      event.#dispatching = false;
      event.#currentTarget = null;
      event.#phase = NONE;
      event.#stopPropagation = false;
      event.#stopImmediatePropagation = false;
    };
    dispatchState = (event) => ({
      type: event.#type,
      dispatching: event.#dispatching,
      stopped: event.#stopImmediatePropagation,
      canceled: event.#canceled,
    });
    setPassive = (event, passive) => {
      event.#inPassiveListener = passive;
    };
    trustEvent = (event) => {
      event.#trusted = true;
      return event;
    };
  }

  constructor(type: unknown, eventInitDict?: unknown) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
    const init = toDictionary(eventInitDict, 'Event init');
    this.#type = toDOMString(type);
    this.#bubbles = Boolean(init['bubbles']);
    this.#cancelable = Boolean(init['cancelable']);
    this.#composed = Boolean(init['composed']);
  }

  get type(): string {
    return this.#type;
  }
  get target(): EventTarget | null {
    return this.#target;
  }
  get srcElement(): EventTarget | null {
    return this.#target;
  }
  get currentTarget(): EventTarget | null {
    return this.#currentTarget;
  }
  get eventPhase(): number {
    return this.#phase;
  }
  get bubbles(): boolean {
    return this.#bubbles;
  }
  get cancelable(): boolean {
    return this.#cancelable;
  }
  get composed(): boolean {
    return this.#composed;
  }
  get defaultPrevented(): boolean {
    return this.#canceled;
  }
  get isTrusted(): boolean {
    return this.#trusted;
  }
  get timeStamp(): number {
    return this.#timeStamp;
  }
  get returnValue(): boolean {
    return !this.#canceled;
  }
  set returnValue(value: boolean) {
    if (!value) this.preventDefault();
  }
  get cancelBubble(): boolean {
    return this.#stopPropagation;
  }
  set cancelBubble(value: boolean) {
    if (value) this.#stopPropagation = true;
  }

  composedPath(): EventTarget[] {
    return this.#dispatching && this.#currentTarget !== null ? [this.#currentTarget] : [];
  }

  stopPropagation(): void {
    this.#stopPropagation = true;
  }

  stopImmediatePropagation(): void {
    this.#stopPropagation = true;
    this.#stopImmediatePropagation = true;
  }

  preventDefault(): void {
    if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
  }

  /** Legacy initializer; does nothing while the event is being dispatched. */
  initEvent(type: unknown, bubbles?: unknown, cancelable?: unknown): void {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'initEvent' on 'Event': 1 argument required, but only 0 present.");
    if (this.#dispatching) return;
    this.#type = toDOMString(type);
    this.#bubbles = Boolean(bubbles);
    this.#cancelable = Boolean(cancelable);
    this.#canceled = false;
    this.#stopPropagation = false;
    this.#stopImmediatePropagation = false;
    this.#target = null;
  }
}

// WebIDL constants: on the interface and its prototype, read-only and enumerable.
for (const [name, value] of [['NONE', NONE], ['CAPTURING_PHASE', CAPTURING_PHASE], ['AT_TARGET', AT_TARGET], ['BUBBLING_PHASE', BUBBLING_PHASE]] as const) {
  Object.defineProperty(Event, name, { value, enumerable: true });
  Object.defineProperty(Event.prototype, name, { value, enumerable: true });
}

/** An Event with a `detail` payload. */
export class CustomEvent extends Event {
  #detail: unknown;

  constructor(type: unknown, eventInitDict?: unknown) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'CustomEvent': 1 argument required, but only 0 present.");
    super(type, eventInitDict);
    const detail = toDictionary(eventInitDict, 'CustomEvent init')['detail'];
    this.#detail = detail === undefined ? null : detail;
  }

  get detail(): unknown {
    return this.#detail;
  }
}

type Callback = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

interface Listener {
  callback: Callback;
  capture: boolean;
  once: boolean;
  passive: boolean;
  removed: boolean;
}

/**
 * What the `signal` option of addEventListener needs from AbortSignal, which registers it here
 * (abort.ts imports this module, not the other way round).
 */
type SignalWatcher = (signal: unknown, onAbort: () => void) => 'not-a-signal' | 'aborted' | 'watching';
let watchListenerSignal: SignalWatcher = () => 'not-a-signal';

export function setListenerSignalWatcher(watch: SignalWatcher): void {
  watchListenerSignal = watch;
}

function captureOf(options: unknown): boolean {
  return isObject(options) ? Boolean((options as { capture?: unknown }).capture) : Boolean(options);
}

/** Lets AbortSignal keep its `onabort` handler in the listener list (event handler attributes). */
export let eventHandlerOf: (target: EventTarget, type: string) => unknown;
export let setEventHandler: (target: EventTarget, type: string, handler: unknown) => void;

export class EventTarget {
  readonly #listeners = new Map<string, Listener[]>();
  /** Event handler attributes (`onabort`): the callback, and the listener that calls it. */
  readonly #handlers = new Map<string, { callback: unknown; listener: Listener }>();

  static {
    eventHandlerOf = (target, type) => target.#handlers.get(type)?.callback ?? null;
    setEventHandler = (target, type, handler) => {
      const existing = target.#handlers.get(type);
      const callback = typeof handler === 'function' ? handler : null;
      if (callback === null) {
        if (existing !== undefined) {
          existing.listener.removed = true;
          target.#remove(type, existing.listener);
          target.#handlers.delete(type);
        }
        return;
      }
      if (existing !== undefined) {
        existing.callback = callback;
        return;
      }
      const entry = { callback, listener: undefined as unknown as Listener };
      // The listener keeps its place in the list; setting the handler again swaps what it calls.
      entry.listener = {
        callback: function (this: unknown, event: Event) {
          return reflectApply(entry.callback as (event: Event) => unknown, this, [event]);
        },
        capture: false,
        once: false,
        passive: false,
        removed: false,
      };
      target.#handlers.set(type, entry);
      target.#add(type, entry.listener);
    };
  }

  addEventListener(type: unknown, callback: unknown, options?: unknown): void {
    if (arguments.length < 2) {
      throw new TypeError(`Failed to execute 'addEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
    }
    const name = toDOMString(type);
    if (callback === null || callback === undefined) return;
    if (!isObject(callback)) throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': parameter 2 is not of type 'Object'.");
    const dictionary = isObject(options) ? (options as Record<string, unknown>) : {};
    const signal = dictionary['signal'];
    const listener: Listener = {
      callback: callback as Callback,
      capture: captureOf(options),
      once: Boolean(dictionary['once']),
      passive: Boolean(dictionary['passive']),
      removed: false,
    };
    if (signal !== undefined) {
      const watched = watchListenerSignal(signal, () => {
        listener.removed = true;
        this.#remove(name, listener);
      });
      if (watched === 'not-a-signal') {
        throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': member signal is not of type 'AbortSignal'.");
      }
      if (watched === 'aborted') return;
    }
    const list = this.#listeners.get(name);
    if (list?.some((existing) => existing.callback === callback && existing.capture === listener.capture)) return;
    this.#add(name, listener);
  }

  removeEventListener(type: unknown, callback: unknown, options?: unknown): void {
    if (arguments.length < 2) {
      throw new TypeError(`Failed to execute 'removeEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
    }
    const name = toDOMString(type);
    const capture = captureOf(options);
    const list = this.#listeners.get(name);
    const listener = list?.find((existing) => existing.callback === callback && existing.capture === capture);
    if (listener === undefined) return;
    listener.removed = true;
    this.#remove(name, listener);
  }

  /** Runs the listeners for `event`; false when one called preventDefault() on a cancelable event. */
  dispatchEvent(event: unknown): boolean {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': 1 argument required, but only 0 present.");
    if (!(event instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
    const { type, dispatching } = dispatchState(event);
    if (dispatching) throw new DOMException('The event is already being dispatched.', 'InvalidStateError');
    beginDispatch(event, this);
    try {
      // A snapshot: listeners added during the dispatch wait for the next one.
      const listeners = (this.#listeners.get(type) ?? []).slice();
      for (const capturePass of [true, false]) {
        for (const listener of listeners) {
          if (listener.capture !== capturePass || listener.removed) continue;
          if (listener.once) {
            listener.removed = true;
            this.#remove(type, listener);
          }
          this.#invoke(listener, event);
          if (dispatchState(event).stopped) return !dispatchState(event).canceled;
        }
      }
    } finally {
      endDispatch(event);
    }
    return !dispatchState(event).canceled;
  }

  #invoke(listener: Listener, event: Event): void {
    if (listener.passive) setPassive(event, true);
    try {
      const callback = listener.callback;
      if (typeof callback === 'function') {
        reflectApply(callback, this, [event]);
      } else {
        const handleEvent: unknown = callback.handleEvent;
        if (typeof handleEvent !== 'function') throw new TypeError("The listener has no 'handleEvent' method.");
        reflectApply(handleEvent, callback, [event]);
      }
    } catch (error) {
      reportListenerError(error);
    } finally {
      setPassive(event, false);
    }
  }

  #add(type: string, listener: Listener): void {
    const list = this.#listeners.get(type);
    if (list === undefined) this.#listeners.set(type, [listener]);
    else list[list.length] = listener;
  }

  #remove(type: string, listener: Listener): void {
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    const index = list.indexOf(listener);
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(type);
  }
}
