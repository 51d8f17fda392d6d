// setTimeout / setInterval and their clear functions, as in browsers and Workers: numeric ids,
// extra arguments passed on, delays converted like WebIDL `long` (negative, NaN → 0) and
// clamped to 4 ms once timers nest more than five deep, one shared id space.
//
// The timer list lives here; the host holds one wake-up timer per isolate. When a new timer
// becomes the earliest, the host is asked to wake the isolate by then (scheduleTimers), and it
// calls runTimers(), which runs one due callback per call: microtasks run between callbacks as
// between tasks, and each callback gets the function's CPU time limit on its own. Callbacks
// are called with `this` undefined; what they throw goes to the invocation's log.
import { callHost } from '../host-bridge.js';
import { onIdle, requireInvocation } from '../invocation-scope.js';
import { writeLog } from '../log-capture.js';
import { formatValue } from './console-format.js';

/** Pending timers one isolate may hold; past it setTimeout/setInterval throw a RangeError. */
export const MAX_PENDING_TIMERS = 10_000;
const NESTING_LEVEL_BEFORE_CLAMP = 5;
const NESTED_MINIMUM_DELAY_MS = 4;

interface Timer {
  readonly id: number;
  readonly callback: (...args: unknown[]) => unknown;
  readonly args: unknown[];
  readonly delayMs: number;
  readonly repeat: boolean;
  nesting: number;
  due: number;
  /** Creation order: timers due at the same time run in the order they were set. */
  order: number;
}

// Captured before user code runs.
const reflectApply = Reflect.apply;
const dateNow = Date.now;

// A null-prototype record rather than a Map: user code may patch Map.prototype.
let timers = Object.create(null) as Record<number, Timer>;
let pendingCount = 0;
/** A binary min-heap by (due, order); may hold cleared timers, skipped when they surface. */
const queue: Timer[] = [];
let lastId = 0;
let lastOrder = 0;
/** The nesting level of the timer callback running now (0: none). */
let runningNesting = 0;

onIdle(() => {
  if (queue.length === 0) return; // the common case: this invocation set no timer
  timers = Object.create(null) as Record<number, Timer>;
  pendingCount = 0;
  queue.length = 0;
  callHost('scheduleTimers', [null]); // nothing left: the host may drop its wake-up
});

/** WebIDL `long` without [EnforceRange], then negative → 0. `+` throws for symbols and BigInts, as WebIDL does. */
function toDelay(timeout: unknown): number {
  const delay = +(timeout as number) | 0;
  return delay < 0 ? 0 : delay;
}

function clamp(delayMs: number, nesting: number): number {
  return nesting > NESTING_LEVEL_BEFORE_CLAMP && delayMs < NESTED_MINIMUM_DELAY_MS ? NESTED_MINIMUM_DELAY_MS : delayMs;
}

function addTimer(operation: string, handler: unknown, timeout: unknown, args: unknown[], repeat: boolean): number {
  if (typeof handler !== 'function') {
    throw new TypeError(`${operation}: the callback must be a function, got ${handler === null ? 'null' : typeof handler}`);
  }
  requireInvocation(`${operation}()`);
  const delayMs = toDelay(timeout);
  if (pendingCount >= MAX_PENDING_TIMERS) {
    throw new RangeError(
      `${operation}: this instance already has ${MAX_PENDING_TIMERS} pending timers, the limit; clear the ones you no longer need with clearTimeout/clearInterval`,
    );
  }
  const nesting = runningNesting + 1;
  const wait = clamp(delayMs, nesting);
  const timer: Timer = {
    id: ++lastId,
    callback: handler as Timer['callback'],
    args,
    delayMs,
    repeat,
    nesting,
    due: dateNow() + wait,
    order: ++lastOrder,
  };
  timers[timer.id] = timer;
  pendingCount += 1;
  push(timer);
  if (queue[0] === timer) callHost('scheduleTimers', [wait]);
  return timer.id;
}

function removeTimer(id: unknown): void {
  const key = +(id as number) | 0;
  if (timers[key] === undefined) return;
  delete timers[key];
  pendingCount -= 1;
  // Cleared timers stay queued until they surface; rebuild before set/clear churn piles them up.
  if (queue.length > 64 && queue.length > pendingCount * 2) compact();
}

export function setTimeout(handler: unknown, timeout: unknown = 0, ...args: unknown[]): number {
  return addTimer('setTimeout', handler, timeout, args, false);
}

export function setInterval(handler: unknown, timeout: unknown = 0, ...args: unknown[]): number {
  return addTimer('setInterval', handler, timeout, args, true);
}

// The two clear functions share one id space, as in browsers.
export function clearTimeout(id: unknown = 0): void {
  removeTimer(id);
}

export function clearInterval(id: unknown = 0): void {
  removeTimer(id);
}

/** See IsolaRuntime.runTimers. */
export function runTimers(): number {
  const now = dateNow();
  for (;;) {
    const timer = queue[0];
    if (timer === undefined) return -1;
    if (timers[timer.id] !== timer) {
      pop();
      continue;
    }
    if (timer.due > now) return timer.due - now;
    pop();
    if (!timer.repeat) {
      delete timers[timer.id];
      pendingCount -= 1;
    }
    runningNesting = timer.nesting;
    try {
      reflectApply(timer.callback, undefined, timer.args);
    } catch (error) {
      writeLog('error', `[isola] uncaught error in a ${timer.repeat ? 'setInterval' : 'setTimeout'} callback: ${formatValue(error)}`);
    } finally {
      runningNesting = 0;
    }
    // An interval comes back unless its callback cleared it (or the instance went idle).
    if (timer.repeat && timers[timer.id] === timer) {
      timer.nesting += 1;
      timer.due = dateNow() + clamp(timer.delayMs, timer.nesting);
      timer.order = ++lastOrder;
      push(timer);
    }
    return nextDelay();
  }
}

function nextDelay(): number {
  while (queue[0] !== undefined && timers[queue[0].id] !== queue[0]) pop();
  const next = queue[0];
  if (next === undefined) return -1;
  const delay = next.due - dateNow();
  return delay > 0 ? delay : 0;
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.order < b.order);
}

// Heap operations index the array directly: no Array.prototype methods or iterators, which
// user code may replace.
function swap(a: number, b: number): void {
  const held = queue[a]!;
  queue[a] = queue[b]!;
  queue[b] = held;
}

function push(timer: Timer): void {
  let index = queue.length;
  queue[index] = timer;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!before(queue[index]!, queue[parent]!)) break;
    swap(index, parent);
    index = parent;
  }
}

function siftDown(start: number): void {
  let index = start;
  for (;;) {
    const left = index * 2 + 1;
    const right = left + 1;
    let smallest = index;
    if (left < queue.length && before(queue[left]!, queue[smallest]!)) smallest = left;
    if (right < queue.length && before(queue[right]!, queue[smallest]!)) smallest = right;
    if (smallest === index) return;
    swap(index, smallest);
    index = smallest;
  }
}

function pop(): void {
  const last = queue[queue.length - 1]!;
  queue.length -= 1;
  if (queue.length === 0) return;
  queue[0] = last;
  siftDown(0);
}

/** Drops cleared timers from the queue and restores the heap order. */
function compact(): void {
  let kept = 0;
  for (let index = 0; index < queue.length; index += 1) {
    const timer = queue[index]!;
    if (timers[timer.id] === timer) queue[kept++] = timer;
  }
  queue.length = kept;
  for (let index = (kept >> 1) - 1; index >= 0; index -= 1) siftDown(index);
}
