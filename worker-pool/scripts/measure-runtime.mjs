// Measures what the in-isolate runtime costs each pool isolate: bundle size, the time to run
// it in a fresh isolate from V8 code cache (compile + top-level execution), the warmup
// dispatch, and the heap used afterwards (after a full GC when node runs with --expose-gc,
// which isolates inherit). Medians of N runs (default 30). Run after `npm run build`:
//   node --no-node-snapshot --expose-gc worker-pool/scripts/measure-runtime.mjs [N]
// RUNTIME_BUNDLE=path measures another bundle (e.g. one built from an older commit).
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ivm from 'isolated-vm';

const bundlePath = process.env.RUNTIME_BUNDLE ?? fileURLToPath(new URL('../dist/runtime/runtime.bundle.js', import.meta.url));
const source = readFileSync(bundlePath, 'utf8');
const runs = Number(process.argv[2] ?? 30);
const filename = 'isola:///runtime.js';

const first = new ivm.Isolate({ memoryLimit: 64 });
const cachedData = first.compileScriptSync(source, { filename, produceCachedData: true }).cachedData;
first.dispose();

const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = [];
const warm = [];
const heapLoaded = [];
const heapWarm = [];
for (let i = 0; i < runs; i++) {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const context = await isolate.createContext();
  const started = process.hrtime.bigint();
  const script = await isolate.compileScript(source, { filename, cachedData });
  if (script.cachedDataRejected === true) throw new Error('code cache rejected');
  await script.run(context, { timeout: 5000 });
  const loaded = process.hrtime.bigint();
  await context.eval('typeof gc === "function" && gc()');
  heapLoaded.push(isolate.getHeapStatisticsSync().used_heap_size);
  const entry = await context.global.get('__isolaRuntime', { reference: true });
  const warmup = await entry.get('warmup', { reference: true });
  await warmup.apply(undefined, [], { result: { promise: true }, timeout: 5000 });
  const warmed = process.hrtime.bigint();
  await context.eval('typeof gc === "function" && gc()');
  heapWarm.push(isolate.getHeapStatisticsSync().used_heap_size);
  load.push(Number(loaded - started) / 1e6);
  warm.push(Number(warmed - loaded) / 1e6);
  isolate.dispose();
}
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`bundle          ${kb(statSync(bundlePath).size)}`);
console.log(`load (cached)   ${median(load).toFixed(2)} ms median of ${runs}`);
console.log(`warmup          ${median(warm).toFixed(2)} ms median`);
console.log(`heap after load ${kb(median(heapLoaded))}`);
console.log(`heap after warm ${kb(median(heapWarm))}`);
