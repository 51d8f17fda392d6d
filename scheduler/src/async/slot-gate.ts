/**
 * A counting semaphore: at most `slots` holders at once, waiters served in arrival order. A
 * worker host runs async invocations through one gate, so an async backlog can take only its
 * share of the host and synchronous traffic (which does not pass the gate) is never starved.
 */
export class SlotGate {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
  }

  get inUse(): number {
    return this.held;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free. */
  async acquire(): Promise<() => void> {
    if (this.held < this.slots) {
      this.held += 1;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; held stays the same.
      if (next !== undefined) next();
      else this.held -= 1;
    };
  }
}
