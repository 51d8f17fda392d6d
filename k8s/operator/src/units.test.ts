import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import type { ClusterLoad } from '@isola/core';
import { OperatorConfigError, readOperatorConfig } from './config.js';
import type { FunctionResource } from './function-resource.js';
import { recommend, Stabilizer, type ScaleSettings } from './scaler.js';
import type { SourceError} from './source.js';
import { SourceResolver } from './source.js';
import { aliasTargetOf, checkSpec } from './spec-to-manifest.js';
import { WorkQueue } from './work-queue.js';

const settings: ScaleSettings = { deployment: 'isola-worker', min: 1, max: 10, targetUtilization: 0.5, downStabilizationMs: 60_000, intervalMs: 1000, asyncOnly: false };

function load(nodes: number, capacityEach: number, inFlight: number, waiting: number): ClusterLoad {
  return {
    nodes: [],
    totals: { nodes, workers: nodes * 2, capacity: nodes * capacityEach, inFlight },
    queues: { waiting, active: 0, delayed: 0 },
  };
}

function resource(spec: Record<string, unknown>, name = 'hello'): FunctionResource {
  return {
    apiVersion: 'isola.dev/v1alpha1',
    kind: 'Function',
    metadata: { name, namespace: 'isola', uid: 'u1', resourceVersion: '1', generation: 1 },
    spec: { main: 'index.js', source: { inline: { files: { 'index.js': 'export default {}' } } }, ...spec } as FunctionResource['spec'],
  };
}

describe('scaling decisions', () => {
  test('replicas fill the target utilisation of the nodes\' capacity with running plus waiting invocations, within min and max', () => {
    // 2 nodes of 8: one replica holds 4 at 50 %.
    assert.equal(recommend(load(2, 8, 0, 0), settings).replicas, 1, 'idle: min');
    assert.equal(recommend(load(2, 8, 6, 0), settings).replicas, 2);
    assert.equal(recommend(load(2, 8, 6, 7), settings).replicas, 4, 'the backlog counts');
    assert.equal(recommend(load(2, 8, 16, 500), settings).replicas, 10, 'capped at max');
    assert.equal(recommend(load(2, 8, 6, 7), { ...settings, min: 5 }).replicas, 5, 'never below min');
  });

  test('with no node up, any demand asks for one replica; zero only for min 0 and no demand', () => {
    const zero = { ...settings, min: 0, asyncOnly: true };
    assert.equal(recommend(load(0, 0, 0, 0), zero).replicas, 0);
    assert.equal(recommend(load(0, 0, 0, 3), zero).replicas, 1);
    assert.equal(recommend(load(1, 8, 0, 0), zero).replicas, 0, 'idle nodes go');
    assert.equal(recommend(load(1, 8, 1, 0), zero).replicas, 1, 'one invocation keeps one');
  });

  test('scale-down waits for the stabilisation window; scale-up is immediate', () => {
    const stabilizer = new Stabilizer(10_000);
    assert.equal(stabilizer.next(2, 0), 2);
    assert.equal(stabilizer.next(6, 1_000), 6, 'up at once');
    assert.equal(stabilizer.next(1, 2_000), 6, 'down held');
    assert.equal(stabilizer.next(1, 10_500), 6, 'the 6 is still in the window');
    assert.equal(stabilizer.next(1, 11_500), 1, 'once the window passed the 6, down');
  });
});

describe('operator settings', () => {
  const base = { ISOLA_URL: 'http://isola-gateway:8080', ISOLA_TOKEN: 't', ISOLA_OPERATOR_NAMESPACE: 'isola' };

  test('defaults', () => {
    const config = readOperatorConfig(base);
    assert.equal(config.namespace, 'isola');
    assert.equal(config.scale.deployment, 'isola-worker');
    assert.deepEqual([config.scale.min, config.scale.max, config.scale.targetUtilization, config.resyncMs, config.leaseDurationMs], [1, 10, 0.7, 60_000, 15_000]);
    assert.ok(config.renewDeadlineMs < config.leaseDurationMs);
  });

  test('every problem is listed, naming its variable; min 0 needs async-only traffic', () => {
    assert.throws(
      () => readOperatorConfig({ ISOLA_OPERATOR_NAMESPACE: 'isola', ISOLA_SCALE_MIN: '0', ISOLA_SCALE_TARGET_UTILIZATION: '2', ISOLA_OPERATOR_RESYNC_SECONDS: 'soon' }),
      (error: unknown) => {
        assert.ok(error instanceof OperatorConfigError);
        const text = error.problems.join('\n');
        for (const name of ['ISOLA_URL', 'ISOLA_TOKEN', 'ISOLA_SCALE_MIN=0', 'ISOLA_SCALE_TARGET_UTILIZATION=2', 'ISOLA_OPERATOR_RESYNC_SECONDS=soon']) assert.match(text, new RegExp(name));
        return true;
      },
    );
    assert.equal(readOperatorConfig({ ...base, ISOLA_SCALE_MIN: '0', ISOLA_SCALE_ASYNC_ONLY: 'true' }).scale.min, 0);
  });
});

describe('Function spec to manifest', () => {
  test('a valid spec becomes the manifest (name from metadata) and its traffic', () => {
    const check = checkSpec(resource({ routes: [{ path: '/hi' }], weights: { '1': 90, current: 10 }, alias: 'latest' }));
    assert.ok(check.ok);
    assert.deepEqual(check.desired.manifest, { name: 'hello', main: 'index.js', routes: [{ path: '/hi' }] });
    assert.equal(check.desired.normalized.limits.memoryMb, 128, 'defaults applied for the hash');
    assert.deepEqual(aliasTargetOf(check.desired, 3), { weights: { '1': 90, '3': 10 } });
    const plain = checkSpec(resource({}));
    assert.ok(plain.ok);
    assert.deepEqual(aliasTargetOf(plain.desired, 3), { version: 3 });
  });

  test('every problem is reported at the resource\'s path, by the platform\'s own rules', () => {
    const check = checkSpec(
      resource({ name: 'x', routes: [{ path: '/api/v1/x' }], crons: ['every minute'], limits: { memoryMb: 1 }, colour: 'red', alias: '9lives', weights: { v1: 50, current: 60 } }, 'Bad.Name'),
    );
    assert.ok(!check.ok);
    const paths = check.problems.map((problem) => problem.path);
    for (const path of ['metadata.name', 'spec.name', 'spec.routes.0.path', 'spec.crons.0', 'spec.limits.memoryMb', 'spec.colour', 'spec.alias', 'spec.weights.v1', 'spec.weights']) {
      assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    }
    assert.match(check.problems.find((problem) => problem.path === 'spec.weights')?.message ?? '', /add up to 110/);
  });
});

describe('sources', () => {
  const never = { readConfigMap: async () => null, fetch: (() => Promise.reject(new Error('no network'))) as typeof fetch };
  const limits = { maxDownloadBytes: 1 << 20, maxUnpackedBytes: 1 << 22, downloadTimeoutMs: 5_000 };

  test('ConfigMap keys become files, mapped by items; a missing ConfigMap or key says which', async () => {
    const resolver = new SourceResolver(
      { ...never, readConfigMap: async (_ns, name) => (name === 'code' ? { data: { 'index.js': 'export default {}', 'util.js': 'x' } } : null) },
      limits,
    );
    const mapped = await resolver.resolve(resource({ main: 'src/index.js', source: { configMap: { name: 'code', items: [{ key: 'index.js', path: 'src/index.js' }] } } }));
    assert.deepEqual(mapped.files, { 'src/index.js': 'export default {}' });
    const all = await resolver.resolve(resource({ source: { configMap: { name: 'code' } } }));
    assert.deepEqual(Object.keys(all.files).sort(), ['index.js', 'util.js']);
    await assert.rejects(resolver.resolve(resource({ source: { configMap: { name: 'other' } } })), (error: SourceError) => error.reason === 'SourceNotFound' && error.retryable);
    await assert.rejects(
      resolver.resolve(resource({ source: { configMap: { name: 'code', items: [{ key: 'nope.js', path: 'index.js' }] } } })),
      (error: SourceError) => error.reason === 'InvalidSource' && /no key nope\.js/.test(error.message),
    );
    await assert.rejects(resolver.resolve(resource({ main: 'main.js' })), (error: SourceError) => /spec.main "main.js" is not in the source, which holds index.js/.test(error.message));
  });

  test('a URL is checked against its SHA-256 and kept by it; a single file becomes main, a tar.gz is unpacked', async () => {
    const single = Buffer.from('export default { fetch() { return new Response("from url") } }');
    const archive = gzipSync(tarOf({ 'pkg/index.js': 'export default {}', 'pkg/isola.yaml': 'name: x' }));
    let downloads = 0;
    const server = createServer((request, response) => {
      downloads += 1;
      response.end(request.url === '/fn.tgz' ? archive : single);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const resolver = new SourceResolver({ ...never, fetch: (input, init) => fetch(input, init) }, limits);
      const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
      const one = await resolver.resolve(resource({ source: { url: { url: `${base}/fn.js`, sha256: sha(single) } } }));
      assert.deepEqual(one.files, { 'index.js': single.toString() });
      await resolver.resolve(resource({ source: { url: { url: `${base}/fn.js`, sha256: sha(single) } } }));
      assert.equal(downloads, 1, 'kept by checksum');
      const unpacked = await resolver.resolve(resource({ source: { url: { url: `${base}/fn.tgz`, sha256: sha(archive) } } }));
      assert.deepEqual(unpacked.files, { 'index.js': 'export default {}' }, 'top folder stripped, isola.yaml left out');
      await assert.rejects(
        resolver.resolve(resource({ source: { url: { url: `${base}/fn.js`, sha256: 'a'.repeat(64) } } })),
        (error: SourceError) => error.reason === 'ChecksumMismatch' && !error.retryable && error.message.includes(sha(single)),
      );
    } finally {
      server.close();
    }
  });
});

describe('work queue', () => {
  test('a key added many times is handled once; one added while running is handled again after', async () => {
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new WorkQueue(
      async (key) => {
        seen.push(key);
        if (seen.length === 1) await gate;
      },
      { concurrency: 1, baseDelayMs: 10, maxDelayMs: 100 },
    );
    queue.add('a');
    queue.add('a'); // running: marked dirty
    queue.add('b');
    queue.add('b');
    release();
    await waitFor(() => seen.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen, ['a', 'b', 'a']);
    await queue.stop();
  });

  test('failures back off exponentially and reset after a success', async () => {
    const times: number[] = [];
    const queue = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('not yet');
      },
      { concurrency: 1, baseDelayMs: 40, maxDelayMs: 1000 },
    );
    queue.add('k');
    await waitFor(() => times.length >= 4, 5_000);
    const gaps = times.slice(1).map((at, index) => at - (times[index] as number));
    // 40, 80, 160 ms ± 20 % jitter: each gap longer than the one before.
    assert.ok(gaps[0] !== undefined && gaps[0] >= 30, `gaps ${gaps.join(', ')}`);
    assert.ok((gaps[1] as number) > (gaps[0] as number) && (gaps[2] as number) > (gaps[1] as number), `gaps grow: ${gaps.join(', ')}`);
    assert.equal(queue.failuresOf('k'), 0);
    await queue.stop();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, 'condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A minimal ustar archive of text files. */
function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(path, 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
