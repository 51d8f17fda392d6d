import type ivm from 'isolated-vm';

/** Node's setTimeout takes at most 2^31 - 1 ms. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * The host half of an isolate's timers: one Node timer that wakes the isolate when its
 * earliest timer is due. The timer list itself lives in the isolate (runtime/web/timers.ts);
 * each wake runs one callback through runTimers() with the function's CPU time limit and
 * re-arms for the delay it returns. Between callbacks the event loop is free (setImmediate for
 * due timers), so a timer flood in one isolate cannot starve the worker.
 */
export class HostTimers {
  private cancelWake: (() => void) | undefined;
  private wakeAt = Infinity;
  private firing = false;
  /** Earliest wake asked for while a callback ran; runTimers' answer may predate it. */
  private requestedAt = Infinity;
  /** The isolate went idle while a callback ran (in its microtasks): runTimers' answer is stale. */
  private answerStale = false;
  private closed = false;

  constructor(
    private readonly runTimers: ivm.Reference<() => number>,
    private readonly cpuTimeoutMs: () => number,
    /** A callback broke a limit (CPU time, memory) or the isolate is gone; timers stop. */
    private readonly onFault: (error: unknown) => void,
  ) {}

  /**
   * The isolate asks to be woken within `delayMs` (≤ 0: now); null says no timer is pending.
   * A distinct null rather than a negative number: a delay computed from two clock reads can
   * come out negative, and must still wake the isolate.
   */
  request(delayMs: unknown): void {
    if (this.closed) return;
    if (delayMs === null) {
      if (this.firing) {
        this.requestedAt = Infinity;
        this.answerStale = true;
      } else {
        this.disarm();
      }
      return;
    }
    if (typeof delayMs !== 'number' || Number.isNaN(delayMs)) return;
    const delay = Math.min(Math.max(delayMs, 0), MAX_DELAY_MS);
    const at = performance.now() + delay;
    if (this.firing) this.requestedAt = Math.min(this.requestedAt, at);
    else if (at < this.wakeAt) this.arm(delay);
  }

  close(): void {
    this.closed = true;
    this.disarm();
  }

  private arm(delayMs: number): void {
    this.disarm();
    this.wakeAt = performance.now() + delayMs;
    const fire = () => void this.fire();
    if (delayMs <= 0) {
      const immediate = setImmediate(fire);
      this.cancelWake = () => clearImmediate(immediate);
    } else {
      const timeout = setTimeout(fire, delayMs);
      this.cancelWake = () => clearTimeout(timeout);
    }
  }

  private disarm(): void {
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.wakeAt = Infinity;
  }

  private async fire(): Promise<void> {
    this.cancelWake = undefined;
    this.wakeAt = Infinity;
    this.firing = true;
    this.requestedAt = Infinity;
    this.answerStale = false;
    let next: number;
    try {
      next = (await this.runTimers.apply(undefined, [], { timeout: this.cpuTimeoutMs() })) as number;
    } catch (error) {
      this.firing = false;
      if (!this.closed) {
        this.close();
        this.onFault(error);
      }
      return;
    }
    this.firing = false;
    if (this.closed) return;
    const now = performance.now();
    const due = Math.min(next >= 0 && !this.answerStale ? now + next : Infinity, this.requestedAt);
    if (due !== Infinity) this.arm(Math.max(0, due - now));
  }
}
