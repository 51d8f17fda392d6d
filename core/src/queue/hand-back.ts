/**
 * Why a taken job goes back to its queue unfinished: its worker host is stopping. Consumers
 * move such jobs back to the front of their queue (BullMQ `moveToWait`) for another host.
 */
export class HandBack extends Error {
  constructor() {
    super('this worker host is stopping; the job goes back to the queue');
    this.name = 'HandBack';
  }
}

/**
 * The two moments of a stopping host: jobs waiting for a slot go back at once
 * (`handBackWaiting`), jobs still running once the drain time is up (`handBackRunning`).
 * `waiting` is the signal to pass to the slot gate; `race` runs a job's work against the second
 * moment and resolves with a HandBack if it comes first.
 */
export class HandBackSwitch {
  private readonly waitingController = new AbortController();
  private readonly running = new Set<(handBack: HandBack) => void>();
  private runningHandedBack = false;

  get waiting(): AbortSignal {
    return this.waitingController.signal;
  }

  get runningGone(): boolean {
    return this.runningHandedBack;
  }

  handBackWaiting(): void {
    this.waitingController.abort(new HandBack());
  }

  handBackRunning(): void {
    this.runningHandedBack = true;
    for (const handBack of this.running) handBack(new HandBack());
  }

  /** `work`'s result, or a HandBack when the running jobs are handed back first. */
  async race<T>(work: Promise<T>): Promise<T | HandBack> {
    if (this.runningHandedBack) {
      work.catch(() => undefined);
      return new HandBack();
    }
    let handBack: ((reason: HandBack) => void) | undefined;
    const handedBack = new Promise<HandBack>((resolve) => (handBack = resolve));
    this.running.add(handBack!);
    try {
      return await Promise.race([work, handedBack]);
    } finally {
      this.running.delete(handBack!);
    }
  }
}
