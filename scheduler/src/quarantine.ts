/**
 * Function versions that took their worker down with a fatal V8 error. After `threshold`
 * crashes within `windowMs` a version is quarantined: invocations are refused with a reason
 * until a redeploy makes a new version (a new instance key). Held in this process; the
 * scheduler notes each quarantine in Redis and restores the notes when it starts.
 */
export class Quarantine {
  private readonly crashes = new Map<string, { times: number[]; lastReason: string }>();
  private readonly quarantined = new Map<string, string>();

  constructor(
    private readonly threshold = 2,
    private readonly windowMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; returns true when it put the version into quarantine. */
  recordCrash(instanceKey: string, reason: string): boolean {
    const at = this.now();
    const entry = this.crashes.get(instanceKey) ?? { times: [], lastReason: reason };
    entry.times = [...entry.times.filter((time) => at - time < this.windowMs), at];
    entry.lastReason = reason;
    this.crashes.set(instanceKey, entry);
    if (entry.times.length < this.threshold || this.quarantined.has(instanceKey)) return false;
    this.quarantined.set(instanceKey, `it crashed its worker ${entry.times.length} times within ${Math.round(this.windowMs / 60_000)} minutes (last: ${reason})`);
    return true;
  }

  /** Puts a version back into quarantine (from a note written before this process started). */
  restore(instanceKey: string, reason: string): void {
    if (!this.quarantined.has(instanceKey)) this.quarantined.set(instanceKey, reason);
  }

  /** Why the version is quarantined, or null when it is not. */
  reason(instanceKey: string): string | null {
    return this.quarantined.get(instanceKey) ?? null;
  }
}
