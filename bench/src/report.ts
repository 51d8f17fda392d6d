import { cpus, totalmem } from 'node:os';
import type { AsyncResult, AsyncSide } from './async.js';
import type { ColdResult } from './cold.js';
import type { DensityResult } from './density.js';
import { totalRssKib, type ProcessMemory } from './process-tree.js';
import { fmt, grouped, mib, percentile, verdict } from './stats.js';
import type { SidecarResult } from './sidecar.js';
import type { WarmResult } from './warm.js';

/** Goals from issue 3 ("Performance": cold, warm, density) and issue 5 ("Chaos and numbers": async). */
export const goals = {
  coldDeployToFirstP50Ms: 3,
  coldDeployToFirstP99Ms: 10,
  warmThroughputRatio: 0.4,
  warmP50OverheadMs: 0.3,
  densityTotalRssBytes: 4e9,
  densityLastColdMs: 5,
  asyncThroughputRatio: 0.8,
  asyncP50Ms: 2,
  bindingP50OverheadMs: 0.5,
};

/** Functions at each end of the invocation order whose first requests are compared. */
export const densityWindow = 100;

export function machine(workers: number): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}; ${workers} Isola workers`;
}

/** A section of the report: its tables, and its rows of the targets table (also gathered in the summary). */
export interface ReportSection {
  lines: string[];
  targets: string[];
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const header = (...cells: string[]) => [row(cells), row(cells.map(() => '---'))];
/** The targets table: rows from one section or from all of them. */
export const targetsTable = (targets: readonly string[]): string[] => [...header('target', 'goal', 'measured', ''), ...targets];
const spread = (label: string, values: readonly number[], digits = 2) =>
  row([label, fmt(percentile(values, 50), digits), fmt(percentile(values, 99), digits), fmt(Math.min(...values), digits), fmt(Math.max(...values), digits)]);

export function coldSection(cold: ColdResult): ReportSection {
  const outside = cold.firstRequestMs.map((total, index) => total - (cold.platformMs[index] ?? 0) - (cold.functionMs[index] ?? 0));
  const platformOnly = cold.platformMs.map((platform, index) => platform - (cold.loadMs[index] ?? 0));
  const p50 = percentile(cold.deployToFirstResponseMs, 50);
  const p99 = percentile(cold.deployToFirstResponseMs, 99);
  const targets = [
    row(['deploy → first response p50', `≤ ${goals.coldDeployToFirstP50Ms} ms`, `${fmt(p50)} ms`, verdict(p50, goals.coldDeployToFirstP50Ms)]),
    row(['deploy → first response p99', `≤ ${goals.coldDeployToFirstP99Ms} ms`, `${fmt(p99)} ms`, verdict(p99, goals.coldDeployToFirstP99Ms)]),
  ];
  const lines = [
    `${cold.functions} fresh functions, one after the other (ms):`,
    '',
    ...header('measure', 'p50', 'p99', 'min', 'max'),
    spread('deploy → first response', cold.deployToFirstResponseMs),
    spread('deploy alone (POST → 201)', cold.deployMs),
    spread('↳ bundling with esbuild (deploy\'s `Server-Timing`)', cold.bundleMs),
    spread('↳ Redis write and publish (deploy\'s `Server-Timing`)', cold.storeMs),
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
    ...targetsTable(targets),
  ];
  return { lines, targets };
}

export function warmSection(warm: WarmResult): ReportSection {
  const at = (connections: number) => {
    const index = warm.isola.findIndex((result) => result.connections === connections);
    return { isola: warm.isola[index], base: warm.baseline[index] };
  };
  const hundred = at(100);
  const one = at(1);
  const ratio = hundred.isola && hundred.base ? hundred.isola.requestsPerSecond / hundred.base.requestsPerSecond : Number.NaN;
  const overhead = one.isola && one.base ? one.isola.p50Ms - one.base.p50Ms : Number.NaN;
  const targets = [
    row(['throughput at 100 connections vs node:http', `≥ ${goals.warmThroughputRatio}×`, `${fmt(ratio)}×`, Number.isFinite(ratio) && ratio >= goals.warmThroughputRatio ? '✅ met' : '❌ missed']),
    row(['p50 at 1 connection above node:http', `≤ ${goals.warmP50OverheadMs} ms`, `${fmt(overhead)} ms`, verdict(overhead, goals.warmP50OverheadMs)]),
  ];
  const lines = [
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
    'The design alternative, measured in the same run: worker processes serving HTTP themselves (node:cluster sharing the',
    'listening socket), each running hello in the real sandbox — no gateway process and no IPC hop (`bench/src/direct-server.ts`):',
    '',
    ...header('connections', 'workers serving HTTP req/s', 'p50 ms', 'p99 ms', 'vs node:http', 'vs Isola through the gateway'),
    ...warm.direct.map((result, index) => {
      const base = warm.baseline[index];
      const isola = warm.isola[index];
      if (base === undefined || isola === undefined) throw new Error(`no baseline at ${result.connections} connections`);
      return row([
        result.connections,
        fmt(result.requestsPerSecond, 0),
        fmt(result.p50Ms),
        fmt(result.p99Ms),
        fmt(result.requestsPerSecond / base.requestsPerSecond),
        fmt(result.requestsPerSecond / isola.requestsPerSecond),
      ]);
    }),
    '',
    `CPU time per request by process during Isola's ${warm.cpu.connections}-connection run (from /proc; the machine has ${cpus().length} cores, so it can give`,
    `${fmt(cpus().length * 1e6 / (warm.cpu.requestsPerSecond || 1), 0)} µs of CPU per request at that rate — the rest is idle time or other processes):`,
    '',
    ...header('process', 'CPU % of one core', 'µs per request'),
    ...warm.cpu.processes.map((process) => row([process.role, fmt(process.cpuPercent, 0), fmt(process.microsPerRequest, 1)])),
    row(['machine, all processes (wrk, the OS)', fmt(warm.cpu.machineBusyPercent, 0), fmt((warm.cpu.machineBusyPercent / 100) * 1e6 / (warm.cpu.requestsPerSecond || 1), 1)]),
    '',
    'Where a warm request spends its time (`Server-Timing` of 1,000 sequential requests on one connection, ms):',
    '',
    ...header('share', 'p50', 'p99'),
    row(['platform (gateway, scheduler, IPC both ways)', fmt(percentile(warm.platformMs, 50), 3), fmt(percentile(warm.platformMs, 99), 3)]),
    row(['function (isolate call, runtime, handler)', fmt(percentile(warm.functionMs, 50), 3), fmt(percentile(warm.functionMs, 99), 3)]),
    '',
    ...targetsTable(targets),
  ];
  return { lines, targets };
}

export function densitySection(density: DensityResult, workers: number): ReportSection {
  const { functions, deployConcurrency } = density.options;
  const window = Math.min(densityWindow, functions);
  const last = density.firstRequestMs.slice(-window);
  // Evictions start once the workers hold as many instances as they keep (seen by the re-invoke probe).
  const beforeEviction = density.warmOnReinvoke;
  const total = totalRssKib(density.afterInvoke);
  const totalBytes = total * 1024;
  const perWorkerHeld = density.warmOnReinvoke / workers;
  const workerGrowthKib = sumRole(density.afterInvoke, 'worker') - sumRole(density.idle, 'worker');
  const perInstanceKib = density.warmOnReinvoke > 0 ? workerGrowthKib / density.warmOnReinvoke : Number.NaN;
  const targets = [
    row([`total RSS with ${grouped(functions)} functions`, '≤ 4 GB', `${fmt(totalBytes / 1e9)} GB (${mib(total)})`, verdict(totalBytes, goals.densityTotalRssBytes)]),
    row([`cold first request, last ${window} p50`, `≤ ${goals.densityLastColdMs} ms`, `${fmt(percentile(last, 50))} ms`, verdict(percentile(last, 50), goals.densityLastColdMs)]),
    row([`cold first request, last ${window} p99`, `≤ ${goals.densityLastColdMs} ms`, `${fmt(percentile(last, 99))} ms`, verdict(percentile(last, 99), goals.densityLastColdMs)]),
  ];
  const lines = [
    ...header('deploy', 'value'),
    row(['functions deployed', grouped(functions)]),
    row(['deploys in flight at once', deployConcurrency]),
    row(['wall time', `${fmt(density.deploySeconds, 1)} s`]),
    row(['throughput', `${fmt(functions / density.deploySeconds, 0)} functions/s`]),
    row(['one deploy p50 / p99 (under that concurrency)', `${fmt(percentile(density.deployMs, 50))} / ${fmt(percentile(density.deployMs, 99))} ms`]),
    '',
    `Memory of the platform's process tree (VmRSS), idle, after the deploys and after invoking all ${grouped(functions)} functions once:`,
    '',
    ...header('process', 'pid', 'idle', 'after deploy', 'after invoke'),
    ...memoryRows(density),
    row(['**total**', '', mib(totalRssKib(density.idle)), mib(totalRssKib(density.afterDeploy)), `**${mib(total)}**`]),
    '',
    `Total RSS while invoking: ${density.rssCurve.map((sample) => `${grouped(sample.invoked)} → ${mib(sample.totalKib)}`).join(', ')}.`,
    '',
    `First request of each function, invoked one after the other (ms; \`X-Isola-Cold-Start: true\` on ${grouped(density.coldStartHeaders)}/${grouped(functions)}; ${fmt(density.invokeSeconds, 1)} s in all):`,
    '',
    ...header('functions', 'p50', 'p99', '`load` p50', '`load` p99', 'platform without the load p50', '`fn` p50', 'outside the gateway timer p50'),
    coldRow(density, `first ${window} invoked`, 0, window),
    ...(beforeEviction > window && beforeEviction < functions
      ? [coldRow(density, `${window} invoked just before the first eviction (#${beforeEviction - window + 1}–${beforeEviction})`, beforeEviction - window, beforeEviction)]
      : []),
    coldRow(density, `last ${window} invoked`, functions - window, functions),
    coldRow(density, 'all', 0, functions),
    '',
    `Instances held afterwards: re-invoking the functions newest first, ${grouped(density.warmOnReinvoke)} answered warm before the first cold one ` +
      `(≈ ${grouped(perWorkerHeld)} per worker; the workers do not report their instance counts, so this is observed from outside). ` +
      (density.warmOnReinvoke < functions
        ? `The other ${grouped(functions - density.warmOnReinvoke)} were evicted (LRU beyond the per-worker instance cap) and would cold-start again.`
        : 'None was evicted.') +
      (density.warmOnReinvoke > 0 ? ` Worker RSS grew by ${mib(workerGrowthKib)} in all, ≈ ${fmt(perInstanceKib / 1024)} MiB per held instance` : '') +
      (density.warmOnReinvoke > 0 && density.warmOnReinvoke < functions
        ? `; holding all ${grouped(functions)} warm would take ≈ ${fmt(((totalRssKib(density.afterDeploy) + perInstanceKib * functions) * 1024) / 1e9)} GB in total (an extrapolation, not measured).`
        : '.'),
    '',
    ...targetsTable(targets),
  ];
  return { lines, targets };
}

/** First requests number `from` (inclusive) to `to` (exclusive), in invocation order. */
function coldRow(density: DensityResult, label: string, from: number, to: number): string {
  const slice = (values: readonly number[]) => values.slice(from, to);
  const platformOnly = slice(density.platformMs).map((platform, index) => platform - (density.loadMs[from + index] ?? 0));
  const requests = slice(density.firstRequestMs);
  const load = slice(density.loadMs);
  const outside = requests.map((total, index) => total - (density.platformMs[from + index] ?? 0) - (density.functionMs[from + index] ?? 0));
  return row([
    label,
    fmt(percentile(requests, 50)),
    fmt(percentile(requests, 99)),
    fmt(percentile(load, 50)),
    fmt(percentile(load, 99)),
    fmt(percentile(platformOnly, 50)),
    fmt(percentile(slice(density.functionMs), 50)),
    fmt(percentile(outside, 50)),
  ]);
}

function memoryRows(density: DensityResult): string[] {
  const byPid = (tree: readonly ProcessMemory[], pid: number) => tree.find((process) => process.pid === pid);
  const pids = [...new Set([...density.idle, ...density.afterDeploy, ...density.afterInvoke].map((process) => process.pid))];
  return pids.map((pid) => {
    const known = byPid(density.afterInvoke, pid) ?? byPid(density.afterDeploy, pid) ?? byPid(density.idle, pid);
    const cell = (tree: readonly ProcessMemory[]) => {
      const process = byPid(tree, pid);
      return process === undefined ? '—' : mib(process.rssKib);
    };
    return row([known?.role ?? '?', pid, cell(density.idle), cell(density.afterDeploy), cell(density.afterInvoke)]);
  });
}

const sumRole = (tree: readonly ProcessMemory[], role: string) => totalRssKib(tree.filter((process) => process.role === role));

/** `12.3 in all: evalsha 3.0, zadd 2.0, …` — the most called commands per job of a burst. */
function commandsPerJob(side: AsyncSide, shown = 8): string {
  const perJob = (calls: number) => fmt(calls / side.burst.count, 1);
  const total = side.redisCalls.reduce((sum, entry) => sum + entry.calls, 0);
  const top = side.redisCalls.slice(0, shown).map((entry) => `${entry.command} ${perJob(entry.calls)}`);
  return `${perJob(total)} in all (${top.join(', ')}${side.redisCalls.length > shown ? ', …' : ''})`;
}

/** Roles of the processes measured during the async bursts (async.ts), in the order of the report. */
const asyncRoles = [
  { role: 'client', label: 'client process (raw: `Queue.add`; Isola: HTTP `POST`)' },
  { role: 'consumer', label: 'consumer (raw: the BullMQ `Worker` process; Isola: `isola up` — gateway, queue consumer, scheduler)' },
  { role: 'worker', label: 'Isola worker processes (the isolates)' },
  { role: 'redis-server', label: 'redis-server' },
];

export function asyncSection(result: AsyncResult): ReportSection {
  const { raw, isola, options } = result;
  const rate = (side: AsyncSide) => side.burst.count / side.burst.seconds;
  const submitRate = (side: AsyncSide) => side.burst.count / side.burst.submitSeconds;
  const ratio = rate(isola) / rate(raw);
  const latency = (side: AsyncSide, p: number) => percentile(side.sequential.latenciesMs, p);
  const submit = (side: AsyncSide, p: number) => percentile(side.sequential.submitMs, p);
  const p50 = latency(isola, 50);
  const targets = [
    row(['async end-to-end throughput vs raw BullMQ', `≥ ${goals.asyncThroughputRatio}×`, `${fmt(ratio)}× (${grouped(rate(isola))} vs ${grouped(rate(raw))} jobs/s)`, Number.isFinite(ratio) && ratio >= goals.asyncThroughputRatio ? '✅ met' : '❌ missed']),
    row(['async submit → completion p50', `≤ ${goals.asyncP50Ms} ms`, `${fmt(p50)} ms (raw BullMQ ${fmt(latency(raw, 50))} ms)`, verdict(p50, goals.asyncP50Ms)]),
  ];
  const micros = (side: AsyncSide, role: string) => {
    const used = side.cpu.processes.find((process) => process.role === role);
    return used === undefined ? '—' : fmt((used.cpuSeconds * 1e6) / side.burst.count, 0);
  };
  const serverMicros = (side: AsyncSide) =>
    (side.cpu.processes.filter((process) => process.role !== 'client').reduce((sum, process) => sum + process.cpuSeconds, 0) * 1e6) / side.burst.count;
  const busy = (side: AsyncSide) => `${fmt((side.cpu.machineBusySeconds * 1e6) / side.burst.count, 0)} (${fmt((side.cpu.machineBusySeconds / side.cpu.seconds) * 100, 0)} % of one core)`;
  const lines = [
    ...header('measure', 'raw BullMQ', 'Isola', 'Isola / raw'),
    row([`end-to-end throughput, ${grouped(options.jobs)} jobs, ${options.inFlight} submissions in flight (jobs/s)`, grouped(rate(raw)), grouped(rate(isola)), `**${fmt(ratio)}×**`]),
    row(['↳ first submission → last completion (s)', fmt(raw.burst.seconds), fmt(isola.burst.seconds), '']),
    row(['↳ submission alone: first → last accepted (jobs/s)', grouped(submitRate(raw)), grouped(submitRate(isola)), fmt(submitRate(isola) / submitRate(raw))]),
    row([`submit → completion, one at a time, p50 (ms; ${grouped(options.sequential)} jobs)`, fmt(latency(raw, 50)), `**${fmt(p50)}**`, fmt(p50 / latency(raw, 50))]),
    row(['submit → completion, one at a time, p99 (ms)', fmt(latency(raw, 99)), fmt(latency(isola, 99)), fmt(latency(isola, 99) / latency(raw, 99))]),
    row(['submit → completion, one at a time, min (ms)', fmt(Math.min(...raw.sequential.latenciesMs)), fmt(Math.min(...isola.sequential.latenciesMs)), '']),
    row(['↳ submission alone (`Queue.add` resolved; 202 received), p50 / p99 (ms)', `${fmt(submit(raw, 50))} / ${fmt(submit(raw, 99))}`, `${fmt(submit(isola, 50))} / ${fmt(submit(isola, 99))}`, '']),
    '',
    `Checked after each burst: all ${grouped(raw.burst.completedIds)} raw and ${grouped(isola.burst.completedIds)} Isola job ids are in their queue's completed set, ` +
      `${raw.burst.failed + isola.burst.failed} failed, and ${grouped(isola.burst.succeededRecords ?? 0)} Isola invocation records say \`succeeded\`.`,
    '',
    `CPU time per job by process during the throughput bursts (µs, from /proc; ${cpus().length} cores can give ${fmt((cpus().length * 1e6) / rate(raw), 0)} µs per raw job and ` +
      `${fmt((cpus().length * 1e6) / rate(isola), 0)} µs per Isola invocation at the rates measured):`,
    '',
    ...header('process', 'raw BullMQ µs per job', 'Isola µs per invocation'),
    ...asyncRoles.map(({ role, label }) => row([label, micros(raw, role), micros(isola, role)])),
    row([
      '**all measured processes but the client**',
      `**${fmt(serverMicros(raw), 0)}**`,
      `**${fmt(serverMicros(isola), 0)}** (${fmt(serverMicros(isola) / serverMicros(raw), 1)}× raw)`,
    ]),
    row(['machine, all processes (other work on the machine included)', busy(raw), busy(isola)]),
    '',
    `Redis per job during the bursts, all clients (the client's polling included): socket reads / writes (about one each per round trip) ` +
      `raw BullMQ ${fmt(raw.redisReads / raw.burst.count, 1)} / ${fmt(raw.redisWrites / raw.burst.count, 1)}, Isola ${fmt(isola.redisReads / isola.burst.count, 1)} / ${fmt(isola.redisWrites / isola.burst.count, 1)}; ` +
      `commands (INFO commandstats, where those BullMQ's Lua scripts run count under their own names) raw BullMQ ${commandsPerJob(raw)}, Isola ${commandsPerJob(isola)}.`,
    '',
    ...targetsTable(targets),
  ];
  return { lines, targets };
}

export function sidecarSection(result: SidecarResult): ReportSection {
  const p50 = (values: readonly number[]) => percentile(values, 50);
  const one = { noop: result.noop[0], binding: result.binding[0] };
  const bindingOverhead = one.noop && one.binding ? one.binding.p50Ms - one.noop.p50Ms : Number.NaN;
  const roundTripOverhead = p50(result.sidecarGetMs) - p50(result.redisGetMs);
  // What the binding adds over reading the key directly (which a function cannot do, but is the floor).
  const bindingOverRead = bindingOverhead - p50(result.redisGetMs);
  const targets = [
    row(['binding: sidecar round trip above a direct ioredis read, p50', `≤ ${goals.bindingP50OverheadMs} ms`, `${fmt(roundTripOverhead)} ms`, verdict(roundTripOverhead, goals.bindingP50OverheadMs)]),
    row([
      'binding: an invocation with one `env.STATE.get`, p50 above a no-op one (1 connection), less the direct read',
      `≤ ${goals.bindingP50OverheadMs} ms`,
      `${fmt(bindingOverRead)} ms (${fmt(bindingOverhead)} ms with the read)`,
      verdict(bindingOverRead, goals.bindingP50OverheadMs),
    ]),
  ];
  const lines = [
    ...header('connections', 'no-op req/s', 'no-op p50 ms', 'no-op p99 ms', '`env.STATE.get` req/s', 'p50 ms', 'p99 ms', 'throughput ratio'),
    ...result.noop.map((noop, index) => {
      const binding = result.binding[index];
      if (binding === undefined) throw new Error(`no binding run at ${noop.connections} connections`);
      return row([
        noop.connections,
        fmt(noop.requestsPerSecond, 0),
        fmt(noop.p50Ms),
        fmt(noop.p99Ms),
        fmt(binding.requestsPerSecond, 0),
        fmt(binding.p50Ms),
        fmt(binding.p99Ms),
        fmt(binding.requestsPerSecond / noop.requestsPerSecond),
      ]);
    }),
    '',
    `One key read ${grouped(result.sidecarGetMs.length)} times in a row (ms):`,
    '',
    ...header('path', 'p50', 'p99', 'min', 'max'),
    spread('sidecar `GET /v1.0/state/statestore/{key}` (HTTP, auth, component, Redis)', result.sidecarGetMs, 3),
    spread('ioredis `HGETALL` of the same key (the command the component makes)', result.redisGetMs, 3),
    row(['sidecar round trip above the direct read, p50', fmt(roundTripOverhead, 3), '', '', '']),
    '',
    `gRPC \`isola.v1.Invoker/Invoke\` of a no-op RPC method (@grpc/grpc-js client in the bench process, sharing the cores):`,
    '',
    ...header('measure', 'value'),
    row(['sequential calls, p50 ms', fmt(p50(result.grpc.sequentialMs), 3)]),
    row(['sequential calls, p99 ms', fmt(percentile(result.grpc.sequentialMs, 99), 3)]),
    row([`calls/s with ${result.grpc.inFlight} in flight`, fmt(result.grpc.requestsPerSecond, 0)]),
    '',
    ...targetsTable(targets),
  ];
  return { lines, targets };
}
