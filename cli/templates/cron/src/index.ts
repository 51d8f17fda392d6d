// {{name}}: runs on the manifest's crons. Each run records itself in state and drops the runs
// beyond KEEP_RUNS; GET /fn/{{name}}/ shows the recorded runs.
import type { ExportedHandler } from '@isola/types';
import type { Env } from './env.js';

interface Run {
  cron: string;
  /** When the tick was due (ISO 8601), not when the handler started. */
  scheduledAt: string;
}

const RUNS_KEY = 'runs';

export default {
  async scheduled(controller, env) {
    const keep = Number.parseInt(env.KEEP_RUNS, 10);
    if (!Number.isInteger(keep) || keep < 1) {
      controller.noRetry(); // a bad setting will not fix itself by retrying
      throw new Error(`KEEP_RUNS must be a whole number of at least 1, not "${env.KEEP_RUNS}"`);
    }
    const run: Run = { cron: controller.cron, scheduledAt: new Date(controller.scheduledTime).toISOString() };
    const runs = (await env.STATE.get<Run[]>(RUNS_KEY)) ?? [];
    const kept = [run, ...runs].slice(0, keep);
    await env.STATE.put(RUNS_KEY, kept);
    console.log(`run due at ${run.scheduledAt}: kept ${kept.length}, dropped ${runs.length + 1 - kept.length}`);
    return { kept: kept.length };
  },

  async fetch(_request, env) {
    return Response.json({ runs: (await env.STATE.get<Run[]>(RUNS_KEY)) ?? [] });
  },
} satisfies ExportedHandler<Env>;
