/**
 * What the building blocks' conformance suites share: keys no other test uses, waiting for an
 * effect by polling (never a fixed sleep), and collecting what a callback is given.
 */

/** A generator of keys unique to this process and run, so a suite may share its store. */
export function uniqueKeys(): () => string {
  let n = 0;
  const run = `${process.pid}-${Date.now()}`;
  return () => `conformance-${run}-${(n += 1)}`;
}

/** Polls `check` every 50 ms until it holds; fails saying `what` did not happen within `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Everything a callback was called with, in order, and a way to wait for a particular call. */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: { matches(item: T): boolean; resolve(item: T): void }[] = [];

  /** The callback to hand out. */
  readonly push = (item: T): void => {
    this.items.push(item);
    for (const waiter of this.waiters.filter((w) => w.matches(item))) waiter.resolve(item);
    this.waiters = this.waiters.filter((w) => !w.matches(item));
  };

  /** The first item (already received or still to come) that matches; fails after `timeoutMs`. */
  async next(matches: (item: T) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
    const found = this.items.find(matches);
    if (found !== undefined) return found;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        this.waiters.push({ matches, resolve });
        timer = setTimeout(() => reject(new Error(`${what} did not arrive within ${timeoutMs} ms; received: ${JSON.stringify(this.items)}`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
