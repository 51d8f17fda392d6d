// The design alternative the issue asks to measure: worker processes that serve HTTP
// themselves (node:cluster sharing one listening socket), each running functions-examples/hello
// in the real sandbox (pre-warmed isolate, FunctionInstance, the synchronous fast path) — no
// gateway process and no IPC hop. The primary prints the shared port once every worker listens.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { bundleFunction, parseManifest, stopBundler, type InvocationRequest } from '@isola/core';
import { FunctionInstance, ModuleCodeCache, prepareIsolate, RuntimeScript } from '@isola/worker-pool/sandbox';
import { hello } from './hello-variants.js';

const workers = Number(process.env.BENCH_DIRECT_WORKERS ?? 2);

if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--no-node-snapshot', ...(process.env.BENCH_DIRECT_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_DIRECT_PROFILE] : [])] });
  let listening = 0;
  for (let index = 0; index < workers; index += 1) {
    cluster.fork().on('listening', (address) => {
      listening += 1;
      if (listening === workers) console.log(String(address.port));
    });
  }
  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`direct worker ${worker.process.pid} exited (code ${code}, signal ${signal})`);
  });
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const source = hello();
  const manifest = parseManifest(source.manifest);
  const bundle = await bundleFunction({ files: source.files, main: manifest.main });
  await stopBundler();
  const prepared = await prepareIsolate(new RuntimeScript(), { memoryMb: manifest.limits.memoryMb, onCatastrophicError: () => process.abort() });
  const ref = { name: manifest.name, version: 1, codeHash: bundle.codeHash };
  const instance = await FunctionInstance.load(
    prepared,
    { ...ref, code: bundle.code, manifest, createdAt: new Date().toISOString() },
    { maxLogBytes: 64 * 1024, maxResponseBytes: 6 * 1024 * 1024, maxFetches: 50, codeCache: new ModuleCodeCache() },
  );

  const server = createServer((request, response) => {
    void readBody(request).then(async (body) => {
      const headers: [string, string][] = [];
      for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
        headers.push([(request.rawHeaders[index] as string).toLowerCase(), request.rawHeaders[index + 1] as string]);
      }
      const invocation: InvocationRequest = {
        invocationId: randomUUID(),
        function: ref,
        limits: manifest.limits,
        trigger: 'http',
        request: { method: request.method ?? 'GET', url: `http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`, headers, ...(body ? { body } : {}) },
      };
      const outcome = await instance.dispatch(invocation);
      if (!outcome.ok) {
        response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: outcome.error }));
        return;
      }
      const { status, headers: responseHeaders, body: responseBody } = outcome.response;
      response.writeHead(status, Object.fromEntries(responseHeaders));
      response.end(responseBody === undefined ? undefined : Buffer.from(responseBody.buffer, responseBody.byteOffset, responseBody.byteLength));
    });
  });
  server.listen(0, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    request.resume();
    return Promise.resolve(undefined);
  }
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(chunks.length === 0 ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
