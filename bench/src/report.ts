import { cpus, totalmem } from 'node:os';
import type { ColdResult } from './cold.js';
import { fmt, percentile, verdict } from './stats.js';
import type { WarmResult } from './warm.js';

/** Goals from issue 3 ("Performance"). */
export const goals = {
  coldDeployToFirstP50Ms: 3,
  coldDeployToFirstP99Ms: 10,
  warmThroughputRatio: 0.4,
  warmP50OverheadMs: 0.3,
};

export function machine(workers: number): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}; ${workers} Isola workers`;
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const header = (...cells: string[]) => [row(cells), row(cells.map(() => '---'))];
const spread = (label: string, values: readonly number[], digits = 2) =>
  row([label, fmt(percentile(values, 50), digits), fmt(percentile(values, 99), digits), fmt(Math.min(...values), digits), fmt(Math.max(...values), digits)]);

export function coldSection(cold: ColdResult): string[] {
  const outside = cold.firstRequestMs.map((total, index) => total - (cold.platformMs[index] ?? 0) - (cold.functionMs[index] ?? 0));
  const platformOnly = cold.platformMs.map((platform, index) => platform - (cold.loadMs[index] ?? 0));
  const p50 = percentile(cold.deployToFirstResponseMs, 50);
  const p99 = percentile(cold.deployToFirstResponseMs, 99);
  return [
    `${cold.functions} fresh functions, one after the other (ms):`,
    '',
    ...header('measure', 'p50', 'p99', 'min', 'max'),
    spread('deploy → first response', cold.deployToFirstResponseMs),
    spread('deploy alone (POST → 201)', cold.deployMs),
    spread('first request alone (cold start)', cold.firstRequestMs),
    '',
    `\`X-Isola-Cold-Start: true\` on ${cold.coldStartHeaders}/${cold.functions} first requests.`,
    '',
    'Where the first request spends its time, from its `Server-Timing` header (ms):',
    '',
    ...header('share', 'p50', 'p99'),
    row(['`isola` platform, total (includes the load)', fmt(percentile(cold.platformMs, 50)), fmt(percentile(cold.platformMs, 99))]),
    row(['↳ `load` cold-start load in the worker', fmt(percentile(cold.loadMs, 50)), fmt(percentile(cold.loadMs, 99))]),
    row(['↳ platform without the load (gateway, scheduler, IPC)', fmt(percentile(platformOnly, 50)), fmt(percentile(platformOnly, 99))]),
    row(['`fn` function (runtime, handler)', fmt(percentile(cold.functionMs, 50)), fmt(percentile(cold.functionMs, 99))]),
    row(['outside the gateway timer (client, loopback, HTTP parsing)', fmt(percentile(outside, 50)), fmt(percentile(outside, 99))]),
    '',
    ...header('target (issue 3)', 'goal', 'measured', ''),
    row(['deploy → first response p50', `≤ ${goals.coldDeployToFirstP50Ms} ms`, `${fmt(p50)} ms`, verdict(p50, goals.coldDeployToFirstP50Ms)]),
    row(['deploy → first response p99', `≤ ${goals.coldDeployToFirstP99Ms} ms`, `${fmt(p99)} ms`, verdict(p99, goals.coldDeployToFirstP99Ms)]),
  ];
}

export function warmSection(warm: WarmResult): string[] {
  const at = (connections: number) => {
    const index = warm.isola.findIndex((result) => result.connections === connections);
    return { isola: warm.isola[index], base: warm.baseline[index] };
  };
  const hundred = at(100);
  const one = at(1);
  const ratio = hundred.isola && hundred.base ? hundred.isola.requestsPerSecond / hundred.base.requestsPerSecond : Number.NaN;
  const overhead = one.isola && one.base ? one.isola.p50Ms - one.base.p50Ms : Number.NaN;
  return [
    ...header('connections', 'Isola req/s', 'Isola p50 ms', 'Isola p99 ms', 'node:http req/s', 'node:http p50 ms', 'node:http p99 ms', 'Isola / node:http throughput'),
    ...warm.isola.map((result, index) => {
      const base = warm.baseline[index];
      if (base === undefined) throw new Error(`no baseline at ${result.connections} connections`);
      return row([
        result.connections,
        fmt(result.requestsPerSecond, 0),
        fmt(result.p50Ms),
        fmt(result.p99Ms),
        fmt(base.requestsPerSecond, 0),
        fmt(base.p50Ms),
        fmt(base.p99Ms),
        fmt(result.requestsPerSecond / base.requestsPerSecond),
      ]);
    }),
    '',
    'Where a warm request spends its time (`Server-Timing` of 1,000 sequential requests on one connection, ms):',
    '',
    ...header('share', 'p50', 'p99'),
    row(['platform (gateway, scheduler, IPC both ways)', fmt(percentile(warm.platformMs, 50), 3), fmt(percentile(warm.platformMs, 99), 3)]),
    row(['function (isolate call, runtime, handler)', fmt(percentile(warm.functionMs, 50), 3), fmt(percentile(warm.functionMs, 99), 3)]),
    '',
    ...header('target (issue 3)', 'goal', 'measured', ''),
    row(['throughput at 100 connections vs node:http', `≥ ${goals.warmThroughputRatio}×`, `${fmt(ratio)}×`, Number.isFinite(ratio) && ratio >= goals.warmThroughputRatio ? '✅ met' : '❌ missed']),
    row(['p50 at 1 connection above node:http', `≤ ${goals.warmP50OverheadMs} ms`, `${fmt(overhead)} ms`, verdict(overhead, goals.warmP50OverheadMs)]),
  ];
}
