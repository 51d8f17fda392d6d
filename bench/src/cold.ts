import type { BenchPlatform } from './bench-platform.js';
import { hello, helloVariant } from './hello-variants.js';

export interface ColdResult {
  functions: number;
  /** POST /api/v1/functions → 201: validate, bundle with esbuild, store in Redis. */
  deployMs: number[];
  /** The deploy's own Server-Timing split: esbuild, and the Redis write with its publish. */
  bundleMs: number[];
  storeMs: number[];
  /** The first GET /fn/<name>/ alone, as the client sees it. */
  firstRequestMs: number[];
  /** Deploy start → first response fully read. */
  deployToFirstResponseMs: number[];
  /** Server-Timing of each first response. */
  platformMs: number[];
  loadMs: number[];
  functionMs: number[];
  coldStartHeaders: number;
}

/** Deploys `count` fresh functions one after the other and calls each once, right after its deploy. */
export async function measureColdStarts(platform: BenchPlatform, count: number): Promise<ColdResult> {
  const base = hello();
  const result: ColdResult = {
    functions: count,
    deployMs: [],
    bundleMs: [],
    storeMs: [],
    firstRequestMs: [],
    deployToFirstResponseMs: [],
    platformMs: [],
    loadMs: [],
    functionMs: [],
    coldStartHeaders: 0,
  };
  for (let index = 0; index < count; index += 1) {
    const { manifest, files } = helloVariant(`cold-${index}`, base);
    const started = performance.now();
    const deploySplit = await platform.deploy(manifest, files);
    const deployed = performance.now();
    const response = await platform.get(`/fn/cold-${index}/?name=bench`);
    const done = performance.now();
    result.deployMs.push(deployed - started);
    result.bundleMs.push(deploySplit.bundleMs);
    result.storeMs.push(deploySplit.storeMs);
    result.firstRequestMs.push(done - deployed);
    result.deployToFirstResponseMs.push(done - started);
    result.platformMs.push(response.timing.platformMs);
    result.loadMs.push(response.timing.loadMs);
    result.functionMs.push(response.timing.functionMs);
    if (response.coldStart) result.coldStartHeaders += 1;
  }
  return result;
}
