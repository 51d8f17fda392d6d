// Per-isolate cost of the runtime: bundle size, time to prepare a pool isolate (run the bundle,
// take its entry points, connect the host bridges, warm up), a cold start (load a tiny function
// into a prepared isolate and dispatch once) and a warm trivial dispatch. Medians of repeated
// runs; compare builds by running it on each. Run after `npm run build`:
//   node --no-node-snapshot worker-pool/scripts/measure-isolate-cost.mjs [prepares=30]
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseManifest } from '@isola/core';
import { RuntimeScript } from '../dist/sandbox/runtime-script.js';
import { prepareIsolate } from '../dist/sandbox/prepared-isolate.js';
import { FunctionInstance, ModuleCodeCache } from '../dist/sandbox/function-instance.js';

const prepares = Number(process.argv[2] ?? 30);
const runtime = new RuntimeScript();
const options = { memoryMb: 128, onCatastrophicError: () => process.abort() };
const loadOptions = { maxLogBytes: 65_536, maxResponseBytes: 6 << 20, maxFetches: 50, codeCache: new ModuleCodeCache() };
const manifest = parseManifest({ name: 'trivial', main: 'index.js' });
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(3));
};
const versionOf = (index) => ({
  name: 'trivial',
  version: index,
  codeHash: `hash-${index}`,
  manifest,
  createdAt: new Date(0).toISOString(),
  code: `export default { fetch: (request) => Response.json({ url: request.url }) }; // ${index}`,
});
const requestOf = (index) => ({
  invocationId: `measure-${index}`,
  function: { name: 'trivial', version: index, codeHash: `hash-${index}` },
  limits: manifest.limits,
  trigger: 'http',
  request: { method: 'GET', url: 'http://measure.invalid/fn/trivial/', headers: [] },
});

(await prepareIsolate(runtime, options)).isolate.dispose(); // the first compile produces the code cache

const prepareMs = [];
const coldMs = [];
for (let index = 0; index < prepares; index += 1) {
  let started = performance.now();
  const prepared = await prepareIsolate(runtime, options);
  prepareMs.push(performance.now() - started);
  started = performance.now();
  const instance = await FunctionInstance.load(prepared, versionOf(index), loadOptions);
  const outcome = await instance.dispatch(requestOf(index));
  coldMs.push(performance.now() - started);
  if (!outcome.ok) throw new Error(`dispatch failed: ${JSON.stringify(outcome)}`);
  instance.dispose();
}

const instance = await FunctionInstance.load(await prepareIsolate(runtime, options), versionOf(-1), loadOptions);
for (let index = 0; index < 500; index += 1) await instance.dispatch(requestOf(-1));
const warmUs = [];
for (let index = 0; index < 3000; index += 1) {
  const started = performance.now();
  await instance.dispatch(requestOf(-1));
  warmUs.push((performance.now() - started) * 1000);
}
instance.dispose();

console.log(
  JSON.stringify({
    bundleBytes: statSync(new URL('../dist/runtime/runtime.bundle.js', import.meta.url)).size,
    prepareMs: { p50: percentile(prepareMs, 0.5), p90: percentile(prepareMs, 0.9) },
    coldLoadAndFirstDispatchMs: { p50: percentile(coldMs, 0.5), p90: percentile(coldMs, 0.9) },
    warmDispatchUs: { p50: percentile(warmUs, 0.5), p90: percentile(warmUs, 0.9) },
  }),
);
