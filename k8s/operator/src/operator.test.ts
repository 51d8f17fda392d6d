import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { spawnPlatform, type SpawnedPlatform } from '@isola/cli/testing';
import { createLogger } from '@isola/core';
import { parse, parseAllDocuments } from 'yaml';
import type { OperatorConfig } from './config.js';
import type { Condition, FunctionResource } from './function-resource.js';
import { Operator } from './operator.js';
import { FakeApiServer } from './testing/index.js';

// The operator as it runs in a cluster, end to end: the real @kubernetes/client-node against a
// fake API server speaking the real REST + watch protocol (no API server can run here), and a
// real `isola up` as the control plane, reached through a proxy the tests can break.

const namespace = 'isola';
const crd = parse(readFileSync(new URL('../../crds/functions.isola.dev.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
const logger = createLogger({ level: process.env.ISOLA_TEST_LOG === '1' ? 'debug' : 'silent' });

let kube: FakeApiServer;
let platform: SpawnedPlatform;
let proxy: ControlPlaneProxy;
const operators: Operator[] = [];

before(async () => {
  [kube, platform] = await Promise.all([FakeApiServer.start(), spawnPlatform({ env: { ISOLA_WORKER_MAX_INFLIGHT: '2' } })]);
  proxy = await ControlPlaneProxy.start(platform.url);
  kube.putObject(crd as never);
  kube.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  kube.putObject({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'isola-worker', namespace },
    spec: { replicas: 1, selector: { matchLabels: { app: 'w' } }, template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'worker', image: 'isola' }] } } },
  });
});

after(async () => {
  await Promise.all(operators.map((operator) => operator.stop()));
  await Promise.all([kube?.close(), platform?.stop(), proxy?.close()]);
});

function settings(identity: string, overrides: Partial<OperatorConfig> = {}): OperatorConfig {
  return {
    url: proxy.url,
    token: platform.token,
    namespace,
    identity,
    port: 0,
    host: '127.0.0.1',
    resyncMs: 1_000,
    lease: 'isola-operator',
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 300,
    retryBaseMs: 200,
    retryMaxMs: 1_600,
    concurrency: 4,
    maxSourceBytes: 1 << 20,
    // Scaling is tested on its own Deployment name, so the other tests' operators leave it be.
    scale: { deployment: '', min: 1, max: 4, targetUtilization: 0.5, downStabilizationMs: 1_500, intervalMs: 300, asyncOnly: false },
    ...overrides,
  };
}

async function startOperator(identity: string, overrides: Partial<OperatorConfig> = {}): Promise<Operator> {
  const operator = new Operator(settings(identity, overrides), kube.kubeConfig({ user: identity, namespace }), logger.child({ operator: identity }));
  operators.push(operator);
  await operator.start();
  return operator;
}

async function stopOperator(operator: Operator): Promise<void> {
  await operator.stop();
  operators.splice(operators.indexOf(operator), 1);
}

const fn = (name: string) => kube.getObject('isola.dev/v1alpha1', 'Function', namespace, name) as FunctionResource | undefined;
const condition = (name: string, type: Condition['type']) => fn(name)?.status?.conditions?.find((entry) => entry.type === type);

function createFunction(name: string, spec: Record<string, unknown>): void {
  kube.putObject({ apiVersion: 'isola.dev/v1alpha1', kind: 'Function', metadata: { name, namespace }, spec });
}

/** Replaces the spec as `kubectl apply` would (a new generation). */
function updateSpec(name: string, change: (spec: Record<string, unknown>) => Record<string, unknown>): void {
  const current = fn(name);
  assert.ok(current, `Function ${name} exists`);
  kube.putObject({ ...current, spec: change({ ...current.spec }) } as never);
}

const inline = (code: string) => ({ main: 'index.js', public: true, source: { inline: { files: { 'index.js': code } } } });
const answering = (text: string) => inline(`export default { fetch() { return new Response(${JSON.stringify(text)}) } }`);

async function eventually<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms${last === undefined ? '' : ` (last: ${(last as Error).message})`}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function served(name: string): Promise<string> {
  const answer = await fetch(`${platform.url}/fn/${name}/`);
  return `${answer.status} ${await answer.text()}`;
}

const eventsFor = (name: string) =>
  kube.listObjects('v1', 'Event', namespace).filter((event) => (event as { involvedObject?: { name?: string } }).involvedObject?.name === name) as unknown as {
    reason: string;
    type: string;
    message: string;
  }[];

/** Writes the operator made to the Kubernetes API, by user (its identity). */
const writesBy = (user: string) => kube.requests.filter((entry) => entry.user === user && entry.method !== 'GET');

describe('one operator, a real control plane', () => {
  let operator: Operator;
  before(async () => {
    operator = await startOperator('operator-a');
    await eventually('operator-a leads', () => operator.isLeader);
  });

  test('a new Function is deployed and served; status and Events say which version', async () => {
    createFunction('first', answering('hello from a Function'));
    const ready = await eventually('hello is Ready', () => (condition('first', 'Ready')?.status === 'True' ? fn('first') : null));
    const summary = await platform.client.getFunction('first');
    assert.equal(await served('first'), '200 hello from a Function');
    assert.equal(ready.status?.version, summary.version);
    assert.equal(ready.status?.codeHash, summary.codeHash);
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    assert.equal(ready.status?.url, '/fn/first/');
    assert.deepEqual(ready.status?.traffic, { alias: 'latest', version: summary.version });
    assert.deepEqual(ready.metadata.finalizers, ['isola.dev/function']);
    assert.equal(condition('first', 'Deployed')?.status, 'True');
    assert.equal(condition('first', 'Degraded')?.status, 'False');
    await eventually('a Deployed Event', () => eventsFor('first').some((event) => event.reason === 'Deployed' && event.message.includes(`version ${summary.version}`)));
  });

  test('a spec change deploys a new version; a label change and resyncs deploy nothing', async () => {
    const before = (await platform.client.versions('first')).length;
    updateSpec('first', () => answering('hello, second edition'));
    await eventually('version 2 served', async () => (await served('first')) === '200 hello, second edition');
    await eventually('status shows the new generation', () => fn('first')?.status?.observedGeneration === fn('first')?.metadata.generation && condition('first', 'Ready')?.status === 'True');
    assert.equal((await platform.client.versions('first')).length, before + 1);
    const current = fn('first') as FunctionResource;
    kube.putObject({ ...current, metadata: { ...current.metadata, labels: { team: 'web' } } } as never);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // two resyncs
    assert.equal((await platform.client.versions('first')).length, before + 1, 'no deploy without a spec change');
  });

  test('weights split the alias between an older version and the current one, without a deploy', async () => {
    const versions = (await platform.client.versions('first')).map((entry) => entry.version);
    const [newest, older] = versions as [number, number];
    updateSpec('first', (spec) => ({ ...spec, weights: { [String(older)]: 70, current: 30 } }));
    await eventually('the alias is split', async () => {
      const latest = (await platform.client.getFunction('first')).aliases.latest;
      return latest !== undefined && 'weights' in latest && latest.weights[String(older)] === 70 && latest.weights[String(newest)] === 30;
    });
    await eventually('status shows the traffic', () => fn('first')?.status?.traffic?.weights?.[String(older)] === 70);
    assert.equal((await platform.client.versions('first')).length, versions.length, 'no new version');
    updateSpec('first', (spec) => {
      delete spec.weights;
      return spec;
    });
    await eventually('the alias points at the current version again', async () => {
      const latest = (await platform.client.getFunction('first')).aliases.latest;
      return latest !== undefined && 'version' in latest && latest.version === newest;
    });
  });

  test('an invalid spec is refused with every problem by path, in Ready and an Event; the older version keeps serving', async () => {
    const servedBefore = await served('first');
    const versions = (await platform.client.versions('first')).length;
    updateSpec('first', (spec) => ({ ...spec, routes: [{ path: '/api/v1/steal' }], crons: ['every minute'], limits: { memoryMb: 1 } }));
    const ready = await eventually('Ready False InvalidSpec', () => (condition('first', 'Ready')?.reason === 'InvalidSpec' ? condition('first', 'Ready') : null));
    assert.equal(ready.status, 'False');
    for (const path of ['spec.routes.0.path', 'spec.crons.0', 'spec.limits.memoryMb']) assert.match(ready.message, new RegExp(path.replace(/\./g, '\\.')));
    assert.equal(condition('first', 'Degraded')?.status, 'True', 'an older version keeps serving');
    await eventually('an InvalidSpec Warning Event', () => eventsFor('first').some((event) => event.reason === 'InvalidSpec' && event.type === 'Warning'));
    assert.equal((await platform.client.versions('first')).length, versions, 'nothing deployed');
    assert.equal(await served('first'), servedBefore);
    updateSpec('first', () => answering('hello, fixed'));
    await eventually('fixed and Ready', async () => condition('first', 'Ready')?.status === 'True' && (await served('first')) === '200 hello, fixed');
  });

  test('a bundling error from the control plane is DeployFailed with its message, and is not retried', async () => {
    createFunction('broken', inline('import fs from "node:fs"; export default { fetch() { return new Response(fs) } }'));
    const ready = await eventually('Ready False DeployFailed', () => (condition('broken', 'Ready')?.reason === 'DeployFailed' ? condition('broken', 'Ready') : null));
    assert.match(ready.message, /node:fs/);
    const deploys = () => proxy.requests.filter((entry) => entry === 'POST /api/v1/functions').length;
    const seen = deploys();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(deploys(), seen, 'resyncs do not send a refused spec again');
    updateSpec('broken', () => answering('no longer broken'));
    await eventually('a new spec is deployed', async () => (await served('broken')) === '200 no longer broken');
  });

  test('ConfigMap source: the keys become files, and a change to the ConfigMap deploys at the next resync', async () => {
    kube.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-code', namespace }, data: { 'main.js': 'export default { fetch() { return new Response("from a ConfigMap") } }' } });
    createFunction('from-cm', { main: 'src/main.js', public: true, source: { configMap: { name: 'cm-code', items: [{ key: 'main.js', path: 'src/main.js' }] } } });
    await eventually('served from the ConfigMap', async () => (await served('from-cm')) === '200 from a ConfigMap');
    kube.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-code', namespace }, data: { 'main.js': 'export default { fetch() { return new Response("ConfigMap, edited") } }' } });
    await eventually('the edit is served', async () => (await served('from-cm')) === '200 ConfigMap, edited');
    createFunction('cm-missing', { main: 'index.js', source: { configMap: { name: 'not-there' } } });
    await eventually('SourceNotFound', () => condition('cm-missing', 'Ready')?.reason === 'SourceNotFound');
  });

  test('URL source: checked against its SHA-256; a mismatch deploys nothing', async () => {
    const code = Buffer.from('export default { fetch() { return new Response("from a URL") } }');
    const files = createServer((_request, response) => response.end(code));
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/fn.js`;
    try {
      createFunction('from-url', { main: 'index.js', public: true, source: { url: { url, sha256: 'b'.repeat(64) } } });
      const refused = await eventually('ChecksumMismatch', () => (condition('from-url', 'Ready')?.reason === 'ChecksumMismatch' ? condition('from-url', 'Ready') : null));
      assert.match(refused.message, /nothing was deployed/);
      assert.equal((await fetch(`${platform.url}/fn/from-url/`)).status, 404);
      updateSpec('from-url', (spec) => ({ ...spec, source: { url: { url, sha256: createHash('sha256').update(code).digest('hex') } } }));
      await eventually('served from the URL', async () => (await served('from-url')) === '200 from a URL');
    } finally {
      files.close();
    }
  });

  test('a function deleted on the platform behind the operator\'s back is deployed again at the next resync', async () => {
    await platform.client.deleteFunction('from-url');
    await eventually('redeployed', async () => (await served('from-url')) === '200 from a URL');
  });

  test('deleting a Function deletes it on the platform, then the finalizer lets the resource go', async () => {
    createFunction('short-lived', answering('here for a moment'));
    await eventually('served', async () => (await served('short-lived')) === '200 here for a moment');
    const response = await fetch(`${kube.url}/apis/isola.dev/v1alpha1/namespaces/${namespace}/functions/short-lived`, { method: 'DELETE', headers: { authorization: 'Bearer admin' } });
    assert.equal(response.status, 200);
    await eventually('the resource is gone', () => fn('short-lived') === undefined);
    assert.equal((await fetch(`${platform.url}/fn/short-lived/`)).status, 404);
    await assert.rejects(platform.client.getFunction('short-lived'), /not found|no function/i);
  });

  test('the examples in k8s/examples deploy and serve (inline; a ConfigMap of TypeScript files)', async () => {
    for (const file of ['hello-inline.yaml', 'from-configmap.yaml']) {
      const text = readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8');
      for (const document of parseAllDocuments(text)) kube.putObject(document.toJS() as never);
    }
    await eventually('hello-inline answers on its route', async () => {
      const answer = await fetch(`${platform.url}/hello?name=k8s`);
      return answer.status === 200 && ((await answer.json()) as { message: string }).message === 'Hello, k8s!';
    });
    await eventually('greeter answers in French, with a token', async () => {
      const answer = await fetch(`${platform.url}/fn/greeter/?name=Kube`, { headers: { authorization: `Bearer ${platform.token}` } });
      return answer.status === 200 && ((await answer.json()) as { message: string }).message === 'Bonjour, Kube!';
    });
    assert.equal(condition('greeter', 'Ready')?.status, 'True');
  });

  test('a broken control plane: conditions say so, retries back off, and it recovers without a change to the resource', async () => {
    proxy.down = true;
    try {
      createFunction('while-down', answering('deployed after the outage'));
      const ready = await eventually('Ready Unknown ControlPlaneUnavailable', () => (condition('while-down', 'Ready')?.reason === 'ControlPlaneUnavailable' ? condition('while-down', 'Ready') : null));
      assert.equal(ready.status, 'Unknown');
      assert.match(fn('while-down')?.status?.lastError ?? '', /the control plane at http:\/\/127\.0\.0\.1:\d+ is unavailable \(HTTP 503\)/);
      const start = proxy.refused.length;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const tries = proxy.refused.slice(start).filter((entry) => entry.path.startsWith('/api/v1/functions/while-down')).map((entry) => entry.at);
      const gaps = tries.slice(1).map((at, index) => at - (tries[index] as number));
      // Back-off from 200 ms doubling to 1.6 s: a handful of tries in 3 s, with growing gaps (resyncs add a few).
      assert.ok(tries.length >= 2 && tries.length <= 12, `tries in 3 s: ${tries.length}`);
      assert.ok(Math.max(...gaps) >= 700, `the gaps grow: ${gaps.join(', ')}`);
      await eventually('a ControlPlaneUnavailable Warning Event', () => eventsFor('while-down').some((event) => event.reason === 'ControlPlaneUnavailable' && event.type === 'Warning'));
    } finally {
      proxy.down = false;
    }
    await eventually('Ready after the outage', () => condition('while-down', 'Ready')?.status === 'True', 10_000);
    assert.equal(await served('while-down'), '200 deployed after the outage');
    assert.equal(fn('while-down')?.status?.lastError, undefined);
  });

  test('an expired watch (410 Gone) is listed again: changes made meanwhile are not lost', async () => {
    const lists = kube.requests.filter((entry) => entry.method === 'GET' && entry.path.endsWith('/functions') && entry.query.watch === undefined).length;
    kube.expireWatches();
    createFunction('after-expiry', answering('made while the watch was expired'));
    await eventually('deployed after the watch expired', async () => (await served('after-expiry')) === '200 made while the watch was expired');
    const relists = kube.requests.filter((entry) => entry.method === 'GET' && entry.path.endsWith('/functions') && entry.query.watch === undefined).length;
    assert.ok(relists > lists, 'listed again after the 410');
    await eventually('watching again', () => kube.openWatches(`/apis/isola.dev/v1alpha1/namespaces/${namespace}/functions`) === 1);
  });

  after(async () => {
    await stopOperator(operator);
  });
});

describe('two replicas', () => {
  test('only the Lease holder acts; when it stops, the other takes over', async () => {
    const [first, second] = await Promise.all([startOperator('replica-1'), startOperator('replica-2')]);
    try {
      const leader = await eventually('one leader', () => (first.isLeader !== second.isLeader ? (first.isLeader ? first : second) : null), 10_000);
      const follower = leader === first ? second : first;
      createFunction('elected', answering('deployed by the leader'));
      await eventually('deployed', async () => (await served('elected')) === '200 deployed by the leader');
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // resyncs on both
      const followerWrites = writesBy(follower.config.identity).filter((entry) => !entry.path.includes('/leases'));
      assert.deepEqual(followerWrites, [], 'the follower wrote nothing but lease attempts');
      assert.ok(writesBy(leader.config.identity).some((entry) => entry.path.includes('/functions/elected')), 'the leader wrote the Function');
      assert.equal(follower.isLeader, false);

      await stopOperator(leader);
      await eventually('the follower leads', () => follower.isLeader, 10_000);
      createFunction('successor', answering('deployed by the successor'));
      await eventually('deployed by the new leader', async () => (await served('successor')) === '200 deployed by the successor');
      assert.ok(writesBy(follower.config.identity).some((entry) => entry.path.includes('/functions/successor')));
      const lease = kube.getObject('coordination.k8s.io/v1', 'Lease', namespace, 'isola-operator') as unknown as { spec: { holderIdentity: string; leaseTransitions: number } };
      assert.equal(lease.spec.holderIdentity, follower.config.identity);
    } finally {
      for (const operator of [first, second]) if (operators.includes(operator)) await stopOperator(operator);
    }
  });
});

describe('scaling the worker pool', () => {
  test('an async backlog scales the worker Deployment up within max; idle, it comes back to min after the stabilisation window', async () => {
    const operator = await startOperator('scaler', { scale: { deployment: 'isola-worker', min: 1, max: 4, targetUtilization: 0.5, downStabilizationMs: 1_500, intervalMs: 200, asyncOnly: false } });
    try {
      await eventually('leads', () => operator.isLeader, 10_000);
      const replicas = () => (kube.getObject('apps/v1', 'Deployment', namespace, 'isola-worker') as unknown as { spec: { replicas: number } }).spec.replicas;
      await platform.client.deploy({ name: 'slow-job', main: 'index.js' }, { 'index.js': 'export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response("done") } }' });
      // The node runs 2 workers × 2 at once (ISOLA_WORKER_MAX_INFLIGHT=2): 30 jobs leave a backlog.
      await Promise.all(
        Array.from({ length: 30 }, () => platform.client.send('POST', '/api/v1/functions/slow-job/invoke', { body: 'x', headers: { 'x-isola-invoke': 'async' } })),
      );
      await eventually('scaled up to max', () => replicas() === 4, 10_000);
      const scaledUpAt = Date.now();
      await eventually('back to min once idle', () => replicas() === 1, 60_000);
      assert.ok(Date.now() - scaledUpAt >= 1_500, 'not before the stabilisation window');
      const scaleWrites = writesBy('scaler').filter((entry) => entry.path.endsWith('/deployments/isola-worker/scale'));
      assert.ok(scaleWrites.length >= 2, `scale writes: ${scaleWrites.length}`);
      const metrics = await (await fetch(`${operator.address}/metrics`)).text();
      assert.match(metrics, /isola_operator_worker_replicas_desired 1/);
      assert.match(metrics, /isola_operator_leader 1/);
    } finally {
      await stopOperator(operator);
    }
  });
});

/** An HTTP proxy to the control plane that can refuse everything (503), recording what it refused. */
class ControlPlaneProxy {
  down = false;
  readonly requests: string[] = [];
  readonly refused: { path: string; at: number }[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<ControlPlaneProxy> {
    const upstream = new URL(target);
    let self: ControlPlaneProxy | null = null;
    const server = createServer((request, response) => {
      const proxy = self as ControlPlaneProxy;
      const path = request.url ?? '/';
      proxy.requests.push(`${request.method} ${path.split('?', 1)[0]}`);
      if (proxy.down) {
        proxy.refused.push({ path, at: Date.now() });
        response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_READY', message: 'the control plane is down (test proxy)' } }));
        return;
      }
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: request.method, path, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      forward.on('error', () => response.writeHead(502).end());
      request.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new ControlPlaneProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('least privilege', () => {
  test('every Kubernetes call the operators made in these tests is granted by the Role in k8s/base/operator.yaml', () => {
    type Rule = { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] };
    const documents = parseAllDocuments(readFileSync(new URL('../../base/operator.yaml', import.meta.url), 'utf8')).map((document) => document.toJS() as { kind: string; rules?: Rule[] });
    const rules = documents.find((document) => document.kind === 'Role')?.rules ?? [];
    assert.ok(rules.length > 0);
    const operatorUsers = new Set(['operator-a', 'replica-1', 'replica-2', 'scaler']);
    const calls = kube.requests.filter((entry) => entry.user !== null && operatorUsers.has(entry.user));
    assert.ok(calls.length > 50, `the operators made calls (${calls.length})`);
    const denied = new Set<string>();
    for (const call of calls) {
      // /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]] or /apis/{group}/{version}/namespaces/{ns}/...
      const parts = call.path.split('/').filter(Boolean);
      const group = parts[0] === 'api' ? '' : (parts[1] as string);
      const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
      assert.equal(rest[0], 'namespaces', `${call.method} ${call.path} is namespaced`);
      assert.equal(rest[1], namespace, `${call.method} ${call.path} stays in the operator's namespace`);
      const [resource, name, sub] = rest.slice(2) as [string, string | undefined, string | undefined];
      const verb =
        call.method === 'GET' ? (call.query.watch === 'true' || call.query.watch === '1' ? 'watch' : name === undefined ? 'list' : 'get')
        : call.method === 'POST' ? 'create' : call.method === 'PUT' ? 'update' : call.method === 'PATCH' ? 'patch' : call.method === 'DELETE' ? 'delete' : call.method;
      const full = sub === undefined ? resource : `${resource}/${sub}`;
      const granted = rules.some(
        (rule) => rule.apiGroups.includes(group) && rule.resources.includes(full) && rule.verbs.includes(verb) && (rule.resourceNames === undefined || (name !== undefined && rule.resourceNames.includes(name))),
      );
      if (!granted) denied.add(`${verb} ${group || 'core'}/${full}${name === undefined ? '' : ` ${name}`}`);
    }
    assert.deepEqual([...denied], [], 'calls the Role does not grant');
  });
});
