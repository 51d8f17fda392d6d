// A bound on how many outbound requests of one kind an isolate has open at once: the others wait
// their turn, in order, as in Cloudflare Workers. Used for fetch and for binding calls.

export class OpenSlots {
  private open = 0;
  /** Requests waiting for a slot, in order. */
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves true once the caller holds a slot (release() it), false if `signal` aborted first. */
  take(signal: AbortSignal): Promise<boolean> {
    if (this.open < this.limit) {
      this.open += 1;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const take = () => {
        signal.removeEventListener('abort', abandon);
        this.open += 1;
        resolve(true);
      };
      const abandon = () => {
        const index = this.waiting.indexOf(take);
        if (index !== -1) this.waiting.splice(index, 1);
        resolve(false);
      };
      this.waiting.push(take);
      signal.addEventListener('abort', abandon, { once: true });
    });
  }

  release(): void {
    this.open -= 1;
    this.waiting.shift()?.();
  }
}
