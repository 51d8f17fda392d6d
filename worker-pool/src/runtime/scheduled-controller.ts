// The `controller` a scheduled handler receives (Cloudflare's ScheduledController).

// Captured at load, before user code could replace it.
const freeze = Object.freeze;

/** What scheduled(controller, env, ctx) gets as its first argument. */
export interface ScheduledController {
  readonly type: 'scheduled';
  /** The schedule as written in the manifest. */
  readonly cron: string;
  /** The tick's nominal time, epoch ms (not when the handler started). */
  readonly scheduledTime: number;
  /** Makes a failure of this invocation final: it is not retried. */
  noRetry(): void;
}

export interface ScheduledControllerHandle {
  controller: ScheduledController;
  /** Whether noRetry() was called (at any time during the invocation). */
  noRetryCalled(): boolean;
}

export function createScheduledController(cron: string, scheduledTime: number): ScheduledControllerHandle {
  let noRetry = false;
  const controller: ScheduledController = freeze({
    type: 'scheduled' as const,
    cron,
    scheduledTime,
    noRetry(): void {
      noRetry = true;
    },
  });
  return { controller, noRetryCalled: () => noRetry };
}
