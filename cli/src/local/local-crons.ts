// The manifest's crons in `isola dev`: each schedule fires at its ticks (node-cron's own tick
// computation, the one the platform's cron trigger uses), and on demand.
import { cronId, cronTimeZone, IsolaError, nextCronTicks, normalizeCron, type CronSpec, type Manifest } from '@isola/core';

/** setTimeout takes at most this delay (about 24.8 days); longer waits are made of several. */
const maxTimerMs = 2 ** 31 - 1;

export class LocalCrons {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `fire` runs the function's scheduled() for a tick of a schedule. */
  constructor(private readonly fire: (spec: CronSpec, scheduledTime: number) => void) {}

  /** Replaces the running schedules with the manifest's. */
  schedule(manifest: Manifest): void {
    this.close();
    for (const entry of manifest.crons) this.next(normalizeCron(entry), Date.now());
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private next(spec: CronSpec, afterMs: number): void {
    const [tick] = nextCronTicks(spec, afterMs, 1);
    if (tick === undefined) return;
    const wait = (delayMs: number, then: () => void) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        then();
      }, Math.min(delayMs, maxTimerMs));
      this.timers.add(timer);
    };
    const arm = () => {
      const remaining = tick - Date.now();
      if (remaining > 0) {
        wait(remaining, arm);
        return;
      }
      this.fire(spec, tick);
      this.next(spec, tick);
    };
    arm();
  }
}

/** The manifest schedule named by its id or expression (spaces collapsed); the first when none is named. */
export function chooseSchedule(manifest: Manifest, wanted: string | undefined): CronSpec {
  const specs = manifest.crons.map(normalizeCron);
  const listed = () => specs.map((spec) => `${cronId(spec)} (${JSON.stringify(spec.schedule)}${spec.timezone === undefined ? '' : ` ${cronTimeZone(spec)}`})`).join(', ');
  if (specs.length === 0) throw new IsolaError('BAD_REQUEST', `function "${manifest.name}" has no schedules; add crons: to its isola.yaml`);
  if (wanted === undefined || wanted === '') return specs[0] as CronSpec;
  const collapsed = wanted.trim().split(/\s+/).join(' ');
  const found = specs.find((spec) => cronId(spec) === wanted || spec.schedule.split(/\s+/).join(' ') === collapsed);
  if (found === undefined) throw new IsolaError('BAD_REQUEST', `function "${manifest.name}" has no schedule ${JSON.stringify(wanted)}; its schedules: ${listed()}`);
  return found;
}
