import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { BenchPlatform } from './bench-platform.js';
import { hello } from './hello-variants.js';
import { cpuSeconds, machineCpuSeconds, processTree } from './process-tree.js';
import { parseServerTiming } from './server-timing.js';
import { wrk, type LoadResult } from './wrk.js';

export const connectionLevels = [1, 10, 100];

export interface WarmResult {
  isola: LoadResult[];
  baseline: LoadResult[];
  /** The design alternative: workers serving HTTP themselves (src/direct-server.ts). */
  direct: LoadResult[];
  /** CPU used by each platform process during the Isola run at the most connections. */
  cpu: CpuSplit;
  /** Server-Timing of sequential warm requests on one keep-alive connection. */
  platformMs: number[];
  functionMs: number[];
}

/** Warm load through /fn/hello/ (platform running), then the bare node:http baseline (platform stopped). */
export async function measureWarm(platform: BenchPlatform, durationSeconds: number): Promise<Omit<WarmResult, 'baseline' | 'direct'>> {
  const { manifest, files } = hello();
  await platform.deploy(manifest, files);
  const url = `${platform.url}/fn/hello/?name=bench`;
  let cpu: CpuSplit | undefined;
  const busiest = Math.max(...connectionLevels);
  const isola = await loadSeries(url, durationSeconds, 'Isola', async (connections, run) => {
    if (connections !== busiest) return run();
    const sampled = await sampleCpu(platform.pid, run);
    cpu = sampled.split;
    return sampled.result;
  });
  if (cpu === undefined) throw new Error(`no CPU sample at ${busiest} connections`);
  const { platformMs, functionMs } = await measureBreakdown(platform, url, 1000);
  return { isola, cpu, platformMs, functionMs };
}

export interface CpuSplit {
  connections: number;
  requestsPerSecond: number;
  processes: { role: string; cpuPercent: number; microsPerRequest: number }[];
  /** Busy time of all cores during the run, in % of one core (so up to 100 × cores). */
  machineBusyPercent: number;
}

/** Runs one wrk level while reading the CPU time of every process of the platform and of the machine. */
async function sampleCpu(rootPid: number, run: () => Promise<LoadResult>): Promise<{ result: LoadResult; split: CpuSplit }> {
  const processes = processTree(rootPid);
  const before = processes.map((process) => cpuSeconds(process.pid));
  const machineBefore = machineCpuSeconds();
  const startedAt = performance.now();
  const result = await run();
  const seconds = (performance.now() - startedAt) / 1000;
  const machineAfter = machineCpuSeconds();
  const requests = result.requestsPerSecond * seconds;
  const split: CpuSplit = {
    connections: result.connections,
    requestsPerSecond: result.requestsPerSecond,
    processes: processes.flatMap((process, index) => {
      const start = before[index];
      const end = cpuSeconds(process.pid);
      if (start == null || end === null || process.role === 'esbuild') return [];
      return [{ role: process.role, cpuPercent: ((end - start) / seconds) * 100, microsPerRequest: ((end - start) * 1e6) / requests }];
    }),
    machineBusyPercent: ((machineAfter.busy - machineBefore.busy) / seconds) * 100,
  };
  return { result, split };
}

export async function measureBaseline(durationSeconds: number): Promise<LoadResult[]> {
  return measureServer('bare-server.js', durationSeconds, 'node:http');
}

/** Workers that serve HTTP themselves, running hello in the real sandbox: no gateway, no IPC. */
export async function measureDirect(durationSeconds: number): Promise<LoadResult[]> {
  return measureServer('direct-server.js', durationSeconds, 'workers serving HTTP');
}

async function measureServer(script: string, durationSeconds: number, label: string): Promise<LoadResult[]> {
  const server = await startServer(script, label);
  try {
    return await loadSeries(server.url, durationSeconds, label);
  } finally {
    server.stop();
  }
}

type LevelRunner = (connections: number, run: () => Promise<LoadResult>) => Promise<LoadResult>;

async function loadSeries(url: string, durationSeconds: number, label: string, around: LevelRunner = (_connections, run) => run()): Promise<LoadResult[]> {
  failOnErrors(await wrk(url, 10, 2), label); // warm-up: JIT, connections, instances on every worker
  const results: LoadResult[] = [];
  for (const connections of connectionLevels) {
    console.log(`  ${label}: ${connections} connection(s), ${durationSeconds} s`);
    results.push(failOnErrors(await around(connections, () => wrk(url, connections, durationSeconds)), label));
  }
  return results;
}

function failOnErrors(result: LoadResult, label: string): LoadResult {
  if (result.errors > 0) {
    throw new Error(`${label} at ${result.connections} connection(s): wrk counted ${result.errors} failed request(s) (non-2xx answers or socket errors)`);
  }
  if (!Number.isFinite(result.requestsPerSecond) || result.requestsPerSecond <= 0) {
    throw new Error(`${label} at ${result.connections} connection(s): could not read a request rate from wrk's report`);
  }
  return result;
}

/** Sequential requests on one keep-alive connection (node:http, to keep the client cheap), reading the Server-Timing split. */
async function measureBreakdown(platform: BenchPlatform, url: string, count: number): Promise<{ platformMs: number[]; functionMs: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const platformMs: number[] = [];
  const functionMs: number[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      const { status, timing } = await new Promise<{ status: number; timing: string }>((resolve, reject) => {
        get(url, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, timing: String(response.headers['server-timing'] ?? '') }));
        }).on('error', reject);
      }).catch((error: unknown) => {
        throw platform.failure(`warm GET ${url} failed: ${(error as Error).message}`);
      });
      if (status !== 200) throw platform.failure(`warm GET ${url} answered ${status}`);
      const split = parseServerTiming(timing);
      platformMs.push(split.platformMs);
      functionMs.push(split.functionMs);
    }
  } finally {
    agent.destroy();
  }
  return { platformMs, functionMs };
}

/** Starts a server script of this folder (it prints its port) in a process of its own. */
async function startServer(script: string, label: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--no-node-snapshot', fileURLToPath(new URL(`./${script}`, import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the ${label} server exited with code ${code} before listening`)));
  });
  // The same path as through the platform, so the function parses the same URL.
  return { url: `http://127.0.0.1:${port}/fn/hello/?name=bench`, stop: () => child.kill('SIGTERM') };
}
