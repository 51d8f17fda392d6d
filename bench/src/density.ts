import type { BenchPlatform, TimedResponse } from './bench-platform.js';
import { hello, helloVariant } from './hello-variants.js';
import { processTree, totalRssKib, type ProcessMemory } from './process-tree.js';
import { mib } from './stats.js';

export interface DensityOptions {
  functions: number;
  /** Deploys in flight at once. */
  deployConcurrency: number;
  /** Print progress every this many functions. */
  progressEvery: number;
}

export interface RssSample {
  /** Functions invoked when the sample was taken. */
  invoked: number;
  totalKib: number;
}

export interface DensityResult {
  options: DensityOptions;
  deploySeconds: number;
  deployMs: number[];
  /** Client-side latency of each function's first request, in invocation order. */
  firstRequestMs: number[];
  /** Server-Timing of each first request. */
  platformMs: number[];
  loadMs: number[];
  functionMs: number[];
  coldStartHeaders: number;
  invokeSeconds: number;
  idle: ProcessMemory[];
  afterDeploy: ProcessMemory[];
  afterInvoke: ProcessMemory[];
  rssCurve: RssSample[];
  /**
   * Re-invoking the functions newest first, how many answer warm before the first cold one:
   * the instances the workers still hold (the rest were evicted).
   */
  warmOnReinvoke: number;
}

const functionName = (index: number) => `density-${index}`;

/**
 * Density: deploy `functions` distinct functions (concurrently), invoke each once
 * (sequentially, so every first request is a clean cold start), and read the memory of
 * the platform's whole process tree along the way.
 */
export async function measureDensity(platform: BenchPlatform, options: DensityOptions): Promise<DensityResult> {
  const { functions, deployConcurrency, progressEvery } = options;
  const idle = processTree(platform.pid);
  const workerPids = pidsOf(idle, 'worker');
  console.log(`  idle platform: ${mib(totalRssKib(idle))} RSS over ${idle.length} processes`);

  const base = hello();
  const deployMs: number[] = new Array<number>(functions);
  let next = 0;
  let deployed = 0;
  const deployStarted = performance.now();
  const lane = async () => {
    while (next < functions) {
      const index = next++;
      const { manifest, files } = helloVariant(functionName(index), base);
      const started = performance.now();
      await platform.deploy(manifest, files);
      deployMs[index] = performance.now() - started;
      deployed += 1;
      if (deployed % progressEvery === 0 || deployed === functions) {
        const seconds = (performance.now() - deployStarted) / 1000;
        console.log(`  deployed ${deployed}/${functions} (${(deployed / seconds).toFixed(0)}/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deployConcurrency, functions) }, lane));
  const deploySeconds = (performance.now() - deployStarted) / 1000;
  const afterDeploy = processTree(platform.pid);

  const firstRequestMs: number[] = [];
  const platformMs: number[] = [];
  const loadMs: number[] = [];
  const functionMs: number[] = [];
  const rssCurve: RssSample[] = [{ invoked: 0, totalKib: totalRssKib(afterDeploy) }];
  let coldStartHeaders = 0;
  const invokeStarted = performance.now();
  for (let index = 0; index < functions; index += 1) {
    const response: TimedResponse = await platform.get(`/fn/${functionName(index)}/?name=bench`);
    firstRequestMs.push(response.elapsedMs);
    platformMs.push(response.timing.platformMs);
    loadMs.push(response.timing.loadMs);
    functionMs.push(response.timing.functionMs);
    if (response.coldStart) coldStartHeaders += 1;
    const invoked = index + 1;
    if (invoked % progressEvery === 0 || invoked === functions) {
      const totalKib = totalRssKib(processTree(platform.pid));
      rssCurve.push({ invoked, totalKib });
      console.log(`  invoked ${invoked}/${functions}: platform RSS ${mib(totalKib)}`);
    }
  }
  const invokeSeconds = (performance.now() - invokeStarted) / 1000;
  const afterInvoke = processTree(platform.pid);

  let warmOnReinvoke = 0;
  for (let index = functions - 1; index >= 0; index -= 1) {
    const response = await platform.get(`/fn/${functionName(index)}/?name=bench`);
    if (response.coldStart) break;
    warmOnReinvoke += 1;
  }

  const respawned = pidsOf(afterInvoke, 'worker').filter((pid) => !workerPids.includes(pid));
  if (respawned.length > 0) {
    throw platform.failure(`worker processes were replaced during the density benchmark (new pids ${respawned.join(', ')}; at start ${workerPids.join(', ')})`);
  }
  return {
    options,
    deploySeconds,
    deployMs,
    firstRequestMs,
    platformMs,
    loadMs,
    functionMs,
    coldStartHeaders,
    invokeSeconds,
    idle,
    afterDeploy,
    afterInvoke,
    rssCurve,
    warmOnReinvoke,
  };
}

const pidsOf = (tree: readonly ProcessMemory[], role: string) => tree.filter((process) => process.role === role).map((process) => process.pid);
