import { CronTrigger } from '@isola/triggers';
import type { PlatformContext } from './context.js';

/**
 * The scheduler role (`isola scheduler`, and part of `isola up`): the cron trigger. Every
 * replica runs every schedule; a tick's job id lets exactly one enqueue through, so replicas
 * may be added for availability without double firings (docs/cron.md).
 */
export async function startSchedulerRole(ctx: PlatformContext): Promise<void> {
  const cron = new CronTrigger({ store: ctx.store, queues: ctx.queues, recorder: ctx.recorder, redis: ctx.redis, logger: ctx.logger.child({ component: 'cron' }) });
  ctx.onEvent((event) => cron.onEvent(event));
  ctx.onResubscribed(() => void cron.reconcile());
  await cron.start();
  ctx.atStop(() => cron.close());
}
