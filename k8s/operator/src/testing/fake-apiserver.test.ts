// The fake API server, driven the way the operator and kubectl drive a real one: through the
// real @kubernetes/client-node 1.4.0 (typed APIs, Watch, informers, KubernetesObjectApi) and
// the real kubectl. Each test starts its own server.
import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { FakeApiServer, type K8sObject } from './index.js';

const crdPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'crds', 'functions.isola.dev.yaml');
const functionsApi = { group: 'isola.dev', version: 'v1alpha1', plural: 'functions' };

async function startFake(t: TestContext, options?: Parameters<typeof FakeApiServer.start>[0]) {
  const fake = await FakeApiServer.start(options);
  t.after(() => fake.close());
  const kc = fake.kubeConfig();
  return { fake, kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}

/** Polls until `check` returns a value other than undefined/false, or fails after the deadline. */
async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `promise`, or a failure once `timeoutMs` has passed (a watch that never ends must fail, not hang). */
async function within<T>(what: string, promise: Promise<T>, timeoutMs = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Status an ApiException carries, with its HTTP code. */
async function apiError(promise: Promise<unknown>): Promise<{ code: number; status: { kind: string; reason: string; message: string; code: number; details?: Record<string, unknown> } }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${String(error)}`);
    return { code: error.code, status: JSON.parse(error.body as string) };
  }
  return assert.fail('expected the call to fail');
}

interface WatchEvent {
  type: string;
  object: K8sObject & { code?: number; reason?: string };
}

/** A running client-node Watch that collects its events. */
async function watch(kc: KubeConfig, path: string, query: Record<string, string | number | boolean> = {}) {
  const events: WatchEvent[] = [];
  let resolveDone: (error: unknown) => void = () => {};
  const done = new Promise<unknown>((resolve) => (resolveDone = resolve));
  const controller = await new Watch(kc).watch(path, query, (type, object) => events.push({ type, object }), (error) => resolveDone(error ?? null));
  return { events, done, stop: () => controller.abort() };
}

const configMap = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { key: 'value' }): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

const deployment = (name: string, replicas = 1): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'main', image: 'isola:1', env: [{ name: 'A', value: '1' }] }, { name: 'sidecar', image: 'sidecar:1' }] },
    },
  },
});

test('discovery: version, groups and resources with their subresources', async (t) => {
  const { kc, apps } = await startFake(t);
  assert.match((await kc.makeApiClient(VersionApi).getCode()).gitVersion, /^v1\.\d+/);
  const resources = (await apps.getAPIResources()).resources;
  const byName = new Map(resources.map((r) => [r.name, r]));
  assert.equal(byName.get('deployments')?.kind, 'Deployment');
  assert.equal(byName.get('deployments')?.namespaced, true);
  assert.deepEqual(byName.get('deployments')?.shortNames, ['deploy']);
  assert.equal(byName.get('deployments/scale')?.kind, 'Scale');
  assert.equal(byName.get('deployments/scale')?.group, 'autoscaling');
  assert.ok(byName.has('deployments/status'));
  const namespaces = (await kc.makeApiClient(CoreV1Api).getAPIResources()).resources.find((r) => r.name === 'namespaces');
  assert.equal(namespaces?.namespaced, false);
});

test('create, read, replace and delete with resourceVersion conflicts and Status errors', async (t) => {
  const { core } = await startFake(t);
  const created = await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('settings') });
  assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
  assert.ok(created.metadata?.creationTimestamp instanceof Date);
  assert.equal(created.metadata?.namespace, 'default');

  const duplicate = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: configMap('settings') }));
  assert.equal(duplicate.code, 409);
  assert.equal(duplicate.status.reason, 'AlreadyExists');
  assert.equal(duplicate.status.message, 'configmaps "settings" already exists');

  const same = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'settings', body: created });
  assert.equal(same.metadata?.resourceVersion, created.metadata?.resourceVersion, 'a write that changes nothing is no write');
  const replaced = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'settings', body: { ...created, data: { key: 'new' } } });
  assert.ok(Number(replaced.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion));
  const stale = await apiError(core.replaceNamespacedConfigMap({ namespace: 'default', name: 'settings', body: { ...created, data: { key: 'lost' } } }));
  assert.equal(stale.code, 409);
  assert.equal(stale.status.reason, 'Conflict');
  assert.match(stale.status.message, /the object has been modified/);
  assert.deepEqual((await core.readNamespacedConfigMap({ namespace: 'default', name: 'settings' })).data, { key: 'new' });

  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'settings' });
  const missing = await apiError(core.readNamespacedConfigMap({ namespace: 'default', name: 'settings' }));
  assert.equal(missing.code, 404);
  assert.deepEqual(
    { kind: missing.status.kind, reason: missing.status.reason, message: missing.status.message, details: missing.status.details },
    { kind: 'Status', reason: 'NotFound', message: 'configmaps "settings" not found', details: { name: 'settings', kind: 'configmaps' } },
  );
});

test('invalid objects: 422 for names and kinds, 400 for a foreign apiVersion, 404 for a missing namespace', async (t) => {
  const { core, apps } = await startFake(t);
  const noName = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: { data: {} } }));
  assert.equal(noName.code, 422);
  assert.equal(noName.status.reason, 'Invalid');
  assert.match(noName.status.message, /metadata\.name: Required value/);
  const badName = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: configMap('Not_Valid') }));
  assert.equal(badName.code, 422);
  assert.match(badName.status.message, /RFC 1123 subdomain/);
  const wrongKind = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: { ...configMap('x'), kind: 'Secret' } }));
  assert.equal(wrongKind.code, 422);
  const wrongVersion = await apiError(apps.createNamespacedDeployment({ namespace: 'default', body: { ...deployment('x'), apiVersion: 'apps/v1beta1' } }));
  assert.equal(wrongVersion.code, 400);
  const noNamespace = await apiError(core.createNamespacedConfigMap({ namespace: 'nowhere', body: configMap('x') }));
  assert.equal(noNamespace.code, 404);
  assert.equal(noNamespace.status.message, 'namespaces "nowhere" not found');
  const generated = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'job-' } } });
  assert.match(generated.metadata?.name ?? '', /^job-[a-z0-9]{5}$/);
});

test('generation counts spec changes; the status subresource owns .status', async (t) => {
  const { apps } = await startFake(t);
  const created = await apps.createNamespacedDeployment({ namespace: 'default', body: { ...deployment('web'), status: { replicas: 9 } } });
  assert.equal(created.metadata?.generation, 1);
  assert.equal(created.status, undefined, 'status is dropped on create');

  const relabelled = await apps.replaceNamespacedDeployment({
    namespace: 'default',
    name: 'web',
    body: { ...created, metadata: { ...created.metadata, labels: { app: 'web', tier: 'front' } } },
  });
  assert.equal(relabelled.metadata?.generation, 1, 'metadata changes do not bump generation');
  const rescaled = await apps.replaceNamespacedDeployment({ namespace: 'default', name: 'web', body: { ...relabelled, spec: { ...relabelled.spec!, replicas: 3 }, status: { replicas: 7 } } });
  assert.equal(rescaled.metadata?.generation, 2);
  assert.equal(rescaled.status, undefined, 'writes to the main resource ignore .status');

  const withStatus = await apps.replaceNamespacedDeploymentStatus({
    namespace: 'default',
    name: 'web',
    body: { ...rescaled, spec: { ...rescaled.spec!, replicas: 100 }, status: { replicas: 3, readyReplicas: 2, observedGeneration: 2 } },
  });
  assert.equal(withStatus.status?.readyReplicas, 2);
  assert.equal(withStatus.spec?.replicas, 3, 'writes to /status ignore the spec');
  assert.equal(withStatus.metadata?.generation, 2);
  const patched = await apps.patchNamespacedDeploymentStatus(
    { namespace: 'default', name: 'web', body: { status: { availableReplicas: 2 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.deepEqual({ ...patched.status }, { replicas: 3, readyReplicas: 2, observedGeneration: 2, availableReplicas: 2 });
});

test('finalizers: DELETE marks the object, removing the last finalizer deletes it', async (t) => {
  const { fake, kc, core } = await startFake(t);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { ...configMap('held'), metadata: { name: 'held', finalizers: ['isola.dev/cleanup'] } } });
  const events = await watch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: fake.resourceVersion });
  t.after(() => events.stop());

  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'held' });
  const marked = await core.readNamespacedConfigMap({ namespace: 'default', name: 'held' });
  assert.ok(marked.metadata?.deletionTimestamp instanceof Date);
  await eventually('the MODIFIED event', () => events.events.find((e) => e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp));

  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'held' });
  const again = await core.readNamespacedConfigMap({ namespace: 'default', name: 'held' });
  assert.equal(again.metadata?.resourceVersion, marked.metadata?.resourceVersion, 'a second DELETE changes nothing');
  assert.equal(String(again.metadata?.deletionTimestamp), String(marked.metadata?.deletionTimestamp));

  const added = await apiError(core.replaceNamespacedConfigMap({ namespace: 'default', name: 'held', body: { ...marked, metadata: { ...marked.metadata, finalizers: ['isola.dev/cleanup', 'other'] } } }));
  assert.equal(added.code, 422);

  await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'held', body: { ...marked, metadata: { ...marked.metadata, finalizers: [] } } });
  assert.equal((await apiError(core.readNamespacedConfigMap({ namespace: 'default', name: 'held' }))).code, 404);
  await eventually('the DELETED event', () => events.events.find((e) => e.type === 'DELETED' && e.object.metadata.name === 'held'));
  assert.equal(fake.getObject('v1', 'ConfigMap', 'default', 'held'), undefined);
});

test('patches: merge and JSON patch through the client, with the content type it sends', async (t) => {
  const { fake, core } = await startFake(t);
  const created = await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('p', { a: '1' }, { one: '1', two: '2' }) });

  // client-node 1.4.0 sends application/json-patch+json unless told otherwise.
  const jsonPatched = await core.patchNamespacedConfigMap({
    namespace: 'default',
    name: 'p',
    body: [
      { op: 'test', path: '/metadata/resourceVersion', value: created.metadata?.resourceVersion },
      { op: 'replace', path: '/data/one', value: 'uno' },
      { op: 'remove', path: '/data/two' },
    ],
  });
  assert.deepEqual(jsonPatched.data, { one: 'uno' });
  assert.equal(fake.requests.at(-1)?.contentType, 'application/json-patch+json');

  const failedTest = await apiError(core.patchNamespacedConfigMap({ namespace: 'default', name: 'p', body: [{ op: 'test', path: '/data/one', value: 'one' }] }));
  assert.equal(failedTest.code, 422);
  const objectAsJsonPatch = await apiError(core.patchNamespacedConfigMap({ namespace: 'default', name: 'p', body: { data: { one: 'x' } } }));
  assert.equal(objectAsJsonPatch.code, 400, 'a merge patch sent with the default content type is rejected, as a real server does');

  const merged = await core.patchNamespacedConfigMap(
    { namespace: 'default', name: 'p', body: { metadata: { labels: { a: null, b: '2' } }, data: { three: '3' } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.equal(fake.requests.at(-1)?.contentType, 'application/merge-patch+json');
  assert.deepEqual(merged.metadata?.labels, { b: '2' });
  assert.deepEqual(merged.data, { one: 'uno', three: '3' });

  const stale = await apiError(
    core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'p', body: { metadata: { resourceVersion: created.metadata?.resourceVersion }, data: { one: 'x' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ),
  );
  assert.equal(stale.code, 409, 'a resourceVersion in a patch is a precondition');

  const apply = await apiError(core.patchNamespacedConfigMap({ namespace: 'default', name: 'p', body: { data: {} } }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)));
  assert.equal(apply.code, 415);
  assert.equal(apply.status.reason, 'UnsupportedMediaType');
});

test('strategic merge patch merges containers by name and env by name', async (t) => {
  const { apps } = await startFake(t);
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('smp') });
  const patched = await apps.patchNamespacedDeployment(
    { namespace: 'default', name: 'smp', body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'isola:2', env: [{ name: 'B', value: '2' }] }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  const containers = patched.spec?.template.spec?.containers ?? [];
  assert.deepEqual(
    containers.map((c) => [c.name, c.image, (c.env ?? []).map((e) => e.name)]),
    [
      ['main', 'isola:2', ['A', 'B']],
      ['sidecar', 'sidecar:1', []],
    ],
  );
  assert.equal(patched.metadata?.generation, 2);
  const removed = await apps.patchNamespacedDeployment(
    { namespace: 'default', name: 'smp', body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  assert.deepEqual(removed.spec?.template.spec?.containers.map((c) => c.name), ['main']);
});

test('deployment scale: read, replace and patch /scale, seen as a MODIFIED deployment', async (t) => {
  const { fake, kc, apps } = await startFake(t);
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('workers', 2) });
  fake.putObject({ ...(fake.getObject('apps/v1', 'Deployment', 'default', 'workers') as K8sObject), status: { replicas: 2 } });
  const scale = await apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'workers' });
  assert.equal(scale.kind, 'Scale');
  assert.equal(scale.apiVersion, 'autoscaling/v1');
  assert.equal(scale.spec?.replicas, 2);
  assert.equal(scale.status?.replicas, 2);
  assert.equal(scale.status?.selector, 'app=workers');

  const events = await watch(kc, '/apis/apps/v1/namespaces/default/deployments', { resourceVersion: fake.resourceVersion });
  t.after(() => events.stop());
  const replaced = await apps.replaceNamespacedDeploymentScale({ namespace: 'default', name: 'workers', body: { ...scale, spec: { replicas: 5 } } });
  assert.equal(replaced.spec?.replicas, 5);
  assert.equal((await apps.readNamespacedDeployment({ namespace: 'default', name: 'workers' })).spec?.replicas, 5);
  const modified = await eventually('the MODIFIED deployment', () => events.events.find((e) => e.type === 'MODIFIED'));
  assert.equal((modified.object['spec'] as { replicas: number }).replicas, 5);

  const stale = await apiError(apps.replaceNamespacedDeploymentScale({ namespace: 'default', name: 'workers', body: { ...scale, spec: { replicas: 6 } } }));
  assert.equal(stale.code, 409);
  await apps.patchNamespacedDeploymentScale({ namespace: 'default', name: 'workers', body: { spec: { replicas: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await apps.patchNamespacedDeploymentScale({ namespace: 'default', name: 'workers', body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] });
  const final = await apps.readNamespacedDeployment({ namespace: 'default', name: 'workers' });
  assert.equal(final.spec?.replicas, 4);
  assert.equal(final.metadata?.generation, 4);
});

test('lists honour label and field selectors, in one namespace or all', async (t) => {
  const { core } = await startFake(t);
  await core.createNamespace({ body: { metadata: { name: 'other' } } });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('a', { tier: 'front', env: 'prod' }) });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('b', { tier: 'back', env: 'prod' }) });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('c', { tier: 'back' }) });
  await core.createNamespacedConfigMap({ namespace: 'other', body: configMap('d', { tier: 'front' }) });
  const names = async (labelSelector?: string, fieldSelector?: string) =>
    (await core.listNamespacedConfigMap({ namespace: 'default', labelSelector, fieldSelector })).items.map((i) => i.metadata?.name);

  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  assert.equal(list.kind, 'ConfigMapList');
  assert.equal(list.apiVersion, 'v1');
  assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
  assert.deepEqual(await names(), ['a', 'b', 'c']);
  assert.deepEqual(await names('tier=back'), ['b', 'c']);
  assert.deepEqual(await names('tier==front'), ['a']);
  assert.deepEqual(await names('tier!=front'), ['b', 'c']);
  assert.deepEqual(await names('env'), ['a', 'b']);
  assert.deepEqual(await names('!env'), ['c']);
  assert.deepEqual(await names('tier in (front, back),env'), ['a', 'b']);
  assert.deepEqual(await names('tier notin (front)'), ['b', 'c']);
  assert.deepEqual(await names(undefined, 'metadata.name=b'), ['b']);
  assert.deepEqual(await names('tier=back', 'metadata.name!=b'), ['c']);
  assert.equal((await apiError(names(undefined, 'spec.foo=bar'))).code, 400);
  const all = await core.listConfigMapForAllNamespaces({ labelSelector: 'tier=front' });
  assert.deepEqual(all.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`), ['default/a', 'other/d']);
});

test('watch from "" lists current objects as ADDED, then streams changes; selectors filter events', async (t) => {
  const { fake, kc, core } = await startFake(t);
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('first', { watched: 'yes' }) });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('second', { watched: 'yes' }) });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('ignored') });

  const all = await watch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: '' });
  const selected = await watch(kc, '/api/v1/namespaces/default/configmaps', { labelSelector: 'watched=yes' });
  t.after(() => (all.stop(), selected.stop()));
  await eventually('initial events', () => all.events.length === 3 && selected.events.length === 2);
  assert.deepEqual(all.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'first'], ['ADDED', 'second'], ['ADDED', 'ignored']]);
  assert.equal(fake.openWatches('/api/v1/namespaces/default/configmaps'), 2);

  const second = await core.readNamespacedConfigMap({ namespace: 'default', name: 'second' });
  await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'second', body: { ...second, metadata: { ...second.metadata, labels: {} } } });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('third', { watched: 'yes' }) });
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'first' });
  await eventually('live events', () => all.events.length === 6 && selected.events.length === 5);
  assert.deepEqual(all.events.slice(3).map((e) => [e.type, e.object.metadata.name]), [['MODIFIED', 'second'], ['ADDED', 'third'], ['DELETED', 'first']]);
  // Leaving the selection is a DELETED for a selective watch.
  assert.deepEqual(selected.events.slice(2).map((e) => [e.type, e.object.metadata.name]), [['DELETED', 'second'], ['ADDED', 'third'], ['DELETED', 'first']]);
  assert.ok(all.events.every((e, i, list) => i === 0 || Number(e.object.metadata.resourceVersion) > Number(list[i - 1]?.object.metadata.resourceVersion)));

  // The legacy /watch/ form, for one object.
  const one = await watch(kc, '/api/v1/watch/namespaces/default/configmaps/third', {});
  t.after(() => one.stop());
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('fourth') });
  const third = await core.readNamespacedConfigMap({ namespace: 'default', name: 'third' });
  await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'third', body: { ...third, data: { key: 'changed' } } });
  await eventually('the legacy watch events', () => one.events.length === 2);
  assert.deepEqual(one.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'third'], ['MODIFIED', 'third']]);
});

test('watch from a resourceVersion replays what came after it; bookmarks carry the latest', async (t) => {
  const { fake, kc, core } = await startFake(t, { bookmarkIntervalSeconds: 0.05 });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('before') });
  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('after') });
  await core.createNamespace({ body: { metadata: { name: 'elsewhere' } } });
  await core.createNamespacedConfigMap({ namespace: 'elsewhere', body: configMap('not-here') });

  const events = await watch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: list.metadata?.resourceVersion ?? '', allowWatchBookmarks: true });
  t.after(() => events.stop());
  const bookmark = await eventually('a bookmark', () => events.events.find((e) => e.type === 'BOOKMARK'));
  assert.deepEqual(events.events[0] && [events.events[0].type, events.events[0].object.metadata.name], ['ADDED', 'after']);
  assert.equal(events.events.filter((e) => e.type !== 'BOOKMARK').length, 1);
  assert.deepEqual(bookmark.object, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: fake.resourceVersion } });
});

test('expireWatches: open watches get ERROR 410 and end, old resourceVersions stay expired, informers recover', async (t) => {
  const { fake, kc, core } = await startFake(t, { historyLimit: 1000 });
  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('one') });
  const oldVersion = fake.resourceVersion;
  const open = await watch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: oldVersion });

  const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const seen = new Set<string>();
  informer.on('add', (o) => seen.add(o.metadata?.name ?? ''));
  await informer.start();
  t.after(() => informer.stop());
  await eventually('the informer watching', () => fake.openWatches() === 2);

  fake.expireWatches();
  assert.equal(await within('the expired watch to end', open.done), null, 'client-node calls done without an error when the stream closes');
  const error = open.events.at(-1);
  assert.equal(error?.type, 'ERROR');
  assert.equal(error?.object.code, 410);
  assert.equal(error?.object.reason, 'Expired');

  const resumed = await watch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: oldVersion });
  await within('the resumed watch to end', resumed.done);
  assert.deepEqual(resumed.events.map((e) => [e.type, e.object.code]), [['ERROR', 410]]);
  assert.equal(fake.requests.at(-1)?.status, 200, 'the real server answers 200 and puts the 410 in the stream');

  await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('two') });
  await eventually('the informer to re-list and see the new object', () => seen.has('one') && seen.has('two'));
  assert.ok(fake.requests.filter((r) => r.method === 'GET' && r.query['watch'] === undefined && r.path.endsWith('/configmaps')).length >= 2, 'the informer listed again');
});

test('a small history expires watches that fall behind it', async (t) => {
  const { fake, kc, core } = await startFake(t, { historyLimit: 2 });
  const start = fake.resourceVersion;
  for (const name of ['a', 'b', 'c']) await core.createNamespacedConfigMap({ namespace: 'default', body: configMap(name) });
  const tooOld = await watch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: start });
  await within('the too-old watch to end', tooOld.done);
  assert.equal(tooOld.events[0]?.object.code, 410);
  const recent = await watch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: String(Number(fake.resourceVersion) - 2) });
  t.after(() => recent.stop());
  await eventually('the retained events', () => recent.events.length === 2);
  assert.deepEqual(recent.events.map((e) => e.object.metadata.name), ['b', 'c']);
});

test('timeoutSeconds ends a watch; closing the server ends the rest', async (t) => {
  const fake = await FakeApiServer.start();
  const kc = fake.kubeConfig();
  const started = Date.now();
  const timed = await watch(kc, '/api/v1/namespaces/default/configmaps', { timeoutSeconds: 1 });
  const open = await watch(kc, '/apis/apps/v1/deployments', {});
  await within('the timed watch to end', timed.done);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900 && elapsed < 5000, `ended after ${elapsed} ms`);
  assert.equal(fake.openWatches(), 1);
  await fake.close();
  assert.equal(await within('close to end the watch', open.done), null);
  assert.equal(fake.openWatches(), 0);
  t.diagnostic(`timeout watch ended after ${elapsed} ms`);
});

test('injected faults answer with a Status the client surfaces, then stop', async (t) => {
  const { fake, core } = await startFake(t);
  fake.injectFault({ method: 'GET', path: /\/configmaps$/, status: 503, times: 2, message: 'etcd is sulking' });
  for (let i = 0; i < 2; i++) {
    const failure = await apiError(core.listNamespacedConfigMap({ namespace: 'default' }));
    assert.equal(failure.code, 503);
    assert.deepEqual(failure.status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'etcd is sulking', reason: 'ServiceUnavailable', code: 503 });
  }
  await core.listNamespacedConfigMap({ namespace: 'default' });
  assert.deepEqual(fake.requests.slice(-3).map((r) => r.status), [503, 503, 200]);
  fake.injectFault({ path: /\/configmaps\/x$/, status: 429 });
  assert.equal((await apiError(core.readNamespacedConfigMap({ namespace: 'default', name: 'x' }))).status.reason, 'TooManyRequests');
});

test('requests are recorded with the bearer token as the user', async (t) => {
  const { fake } = await startFake(t);
  const coordination = fake.kubeConfig({ user: 'isola-operator', namespace: 'isola' }).makeApiClient(CoordinationV1Api);
  await fake.kubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'isola' } } });
  const lease = await coordination.createNamespacedLease({ namespace: 'isola', body: { metadata: { name: 'isola-operator' }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15 } } });
  // Leader election: a second candidate holding an old copy loses the race.
  await coordination.replaceNamespacedLease({ namespace: 'isola', name: 'isola-operator', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'pod-b' } } });
  const lost = await apiError(coordination.replaceNamespacedLease({ namespace: 'isola', name: 'isola-operator', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'pod-c' } } }));
  assert.equal(lost.code, 409);
  const last = fake.requests.at(-1);
  assert.deepEqual(last && { method: last.method, path: last.path, user: last.user, status: last.status }, {
    method: 'PUT',
    path: '/apis/coordination.k8s.io/v1/namespaces/isola/leases/isola-operator',
    user: 'isola-operator',
    status: 409,
  });
  assert.equal(fake.requests[0]?.user, 'admin');
  assert.equal(fake.getObject('coordination.k8s.io/v1', 'Lease', 'isola', 'isola-operator')?.['spec'] && (fake.getObject('coordination.k8s.io/v1', 'Lease', 'isola', 'isola-operator')?.['spec'] as { holderIdentity: string }).holderIdentity, 'pod-b');
});

test('the Function CRD: served once created, with a status subresource, watchable; gone once deleted', async (t) => {
  const { fake, kc } = await startFake(t);
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await extensions.createCustomResourceDefinition({ body: parse(readFileSync(crdPath, 'utf8')) });
  const crd = await eventually('the CRD to be established', async () => {
    const read = await extensions.readCustomResourceDefinition({ name: 'functions.isola.dev' });
    return read.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') && read;
  });
  assert.ok(crd.status?.conditions?.some((c) => c.type === 'NamesAccepted' && c.status === 'True'));
  const discovery = (await custom.getAPIResources({ group: 'isola.dev', version: 'v1alpha1' })).resources;
  assert.deepEqual(discovery.map((r) => [r.name, r.kind, r.namespaced]), [['functions', 'Function', true], ['functions/status', 'Function', true]]);

  const events = await watch(kc, '/apis/isola.dev/v1alpha1/namespaces/default/functions', {});
  t.after(() => events.stop());
  const fn = { apiVersion: 'isola.dev/v1alpha1', kind: 'Function', metadata: { name: 'hello' }, spec: { main: 'index.js', source: { inline: { files: { 'index.js': 'export default {}' } } } }, status: { version: 9 } };
  const created = await custom.createNamespacedCustomObject({ ...functionsApi, namespace: 'default', body: fn });
  assert.equal(created.metadata.generation, 1);
  assert.equal(created.status, undefined);
  await eventually('the ADDED Function', () => events.events.find((e) => e.type === 'ADDED' && e.object.metadata.name === 'hello'));

  const withStatus = await custom.replaceNamespacedCustomObjectStatus({
    ...functionsApi,
    namespace: 'default',
    name: 'hello',
    body: { ...created, spec: { main: 'ignored.js' }, status: { observedGeneration: 1, version: 1 } },
  });
  assert.deepEqual(withStatus.status, { observedGeneration: 1, version: 1 });
  assert.equal(withStatus.spec.main, 'index.js');
  assert.equal(withStatus.metadata.generation, 1);
  const unconditional = await apiError(custom.replaceNamespacedCustomObject({ ...functionsApi, namespace: 'default', name: 'hello', body: { ...fn, metadata: { name: 'hello' } } }));
  assert.equal(unconditional.code, 422, 'custom resources need metadata.resourceVersion on update');
  const patched = await custom.patchNamespacedCustomObject(
    { ...functionsApi, namespace: 'default', name: 'hello', body: { spec: { main: 'main.js' }, status: { version: 2 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.equal(patched.metadata.generation, 2);
  assert.deepEqual(patched.status, { observedGeneration: 1, version: 1 });
  const strategic = await apiError(
    custom.patchNamespacedCustomObject({ ...functionsApi, namespace: 'default', name: 'hello', body: { spec: {} } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
  );
  assert.equal(strategic.code, 415, 'strategic merge patch is not supported for custom resources');
  await eventually('the MODIFIED events', () => events.events.filter((e) => e.type === 'MODIFIED').length === 2);
  assert.equal(fake.listObjects('isola.dev/v1alpha1', 'Function', 'default').length, 1);

  await extensions.deleteCustomResourceDefinition({ name: 'functions.isola.dev' });
  assert.equal(await within('the Function watch to end', events.done), null, 'watches on the removed resource end');
  assert.ok(events.events.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'hello'));
  assert.equal((await apiError(custom.listNamespacedCustomObject({ ...functionsApi, namespace: 'default' }))).code, 404);
});

test('KubernetesObjectApi finds resources through discovery; putObject plays a controller', async (t) => {
  const { fake, kc } = await startFake(t);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await objects.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'default' }, stringData: { token: 'abc' } } as never);
  const secret = await objects.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'default' } });
  assert.deepEqual((secret as unknown as { data: Record<string, string> }).data, { token: Buffer.from('abc').toString('base64') });

  const stored = fake.putObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'worker', namespace: 'default' }, spec: { replicas: 2 }, status: { readyReplicas: 2 } });
  assert.equal(stored.metadata.generation, 1);
  const list = await objects.list('apps/v1', 'Deployment', 'default');
  assert.deepEqual(list.items.map((d) => [d.metadata?.name, (d as V1Deployment).status?.readyReplicas]), [['worker', 2]]);
  assert.equal(fake.deleteObject('apps/v1', 'Deployment', 'default', 'worker'), true);
  assert.equal(fake.listObjects('apps/v1', 'Deployment').length, 0);
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

test('kubectl: get prints a table, scale goes through /scale, delete removes', { skip: kubectl ? false : 'no kubectl on PATH' }, async (t) => {
  const { fake, apps } = await startFake(t);
  const home = mkdtempSync(join(tmpdir(), 'isola-kubectl-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const env = { ...process.env, HOME: home, KUBECONFIG: fake.writeKubeconfig(join(home, 'config')) };
  // Asynchronously: the server runs in this process.
  const run = async (...args: string[]) => (await promisify(execFile)('kubectl', args, { env, encoding: 'utf8' })).stdout;
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 2) });

  assert.match(await run('get', 'deployments'), /^NAME\s+AGE\nweb\s+\d+s\n$/);
  assert.match(await run('scale', 'deployment/web', '--replicas=3'), /scaled/);
  assert.equal((await apps.readNamespacedDeployment({ namespace: 'default', name: 'web' })).spec?.replicas, 3);
  assert.ok(fake.requests.some((r) => r.path.endsWith('/deployments/web/scale') && r.method === 'PATCH'));
  assert.equal(JSON.parse(await run('get', 'deploy', 'web', '-o', 'json')).spec.replicas, 3);
  await run('delete', 'deployment', 'web');
  assert.equal(fake.getObject('apps/v1', 'Deployment', 'default', 'web'), undefined);
});
