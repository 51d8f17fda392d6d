// Offline validation of the kustomize overlays: every object `kubectl kustomize` renders is
// checked against the Kubernetes 1.27 schemas of kubernetes-models, then against Isola's rules
// (resources, probes, non-root, PodDisruptionBudgets, one image, no placeholder Secret in prod).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { overlays, render, templateOf, workloads, type K8sObject } from './kustomize.js';

/** The validating model for each kind an overlay may render; any other kind fails the test. */
const models: Record<string, (object: K8sObject) => { validate(): void }> = {
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'v1/Secret': (o) => new Secret(o as never),
  'v1/Service': (o) => new Service(o as never),
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o as never),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o as never),
  'rbac.authorization.k8s.io/v1/Role': (o) => new Role(o as never),
  'rbac.authorization.k8s.io/v1/RoleBinding': (o) => new RoleBinding(o as never),
  'apiextensions.k8s.io/v1/CustomResourceDefinition': (o) => new CustomResourceDefinition(o as never),
};

/** Kinds that live outside any namespace; everything else must land in `isola`. */
const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition']);

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

for (const overlay of overlays) {
  const objects = render(overlay);
  const name = (o: K8sObject) => `${overlay}: ${o.kind}/${o.metadata.name}`;

  test(`${overlay}: every object is valid against the Kubernetes schema`, () => {
    assert.ok(objects.length > 0);
    for (const object of objects) {
      const model = models[`${object.apiVersion}/${object.kind}`];
      assert.ok(model, `${name(object)}: no validator for ${object.apiVersion} ${object.kind}`);
      assert.doesNotThrow(() => model(object).validate(), name(object));
      if (clusterScoped.has(object.kind)) assert.equal(object.metadata.namespace, undefined, name(object));
      else assert.equal(object.metadata.namespace, 'isola', name(object));
    }
  });

  test(`${overlay}: every container has resources, probes and a locked-down security context`, () => {
    for (const workload of workloads(objects)) {
      const template = templateOf(workload);
      const exempt = template.metadata?.annotations?.['isola.dev/no-probes'];
      assert.equal(template.spec.securityContext?.runAsNonRoot, true, name(workload));
      assert.equal(template.spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', name(workload));
      assert.ok(template.spec.terminationGracePeriodSeconds !== undefined, `${name(workload)}: terminationGracePeriodSeconds`);
      for (const container of template.spec.containers) {
        const where = `${name(workload)} container ${container.name}`;
        for (const kind of ['requests', 'limits'] as const) {
          assert.ok(container.resources?.[kind]?.cpu && container.resources[kind]?.memory, `${where}: resources.${kind}`);
        }
        if (exempt === undefined) {
          assert.ok(container.readinessProbe, `${where}: readinessProbe`);
          assert.ok(container.livenessProbe, `${where}: livenessProbe`);
        } else {
          assert.ok(exempt.length > 10, `${where}: isola.dev/no-probes must say why`);
        }
        const security = container.securityContext;
        assert.equal(security?.runAsNonRoot, true, `${where}: runAsNonRoot`);
        assert.equal(security?.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
        assert.equal(security?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
        assert.deepEqual(security?.capabilities?.drop, ['ALL'], `${where}: capabilities.drop`);
      }
    }
  });

  test(`${overlay}: every Deployment has a PodDisruptionBudget`, () => {
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
      const labels = templateOf(deployment).metadata?.labels;
      const budget = budgets.find((b) => matches((b.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, labels));
      assert.ok(budget, `${name(deployment)}: no PodDisruptionBudget selects its pods`);
    }
  });

  test(`${overlay}: every Isola container runs the same image`, () => {
    const images = new Set(
      workloads(objects)
        .filter((o) => o.kind === 'Deployment')
        .flatMap((o) => templateOf(o).spec.containers.map((c) => c.image)),
    );
    assert.equal(images.size, 1, [...images].join(', '));
  });

  test(`${overlay}: the worker reaches its sidecar on loopback, the sidecar the gateway Service`, () => {
    const worker = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'isola-worker');
    assert.ok(worker);
    const containers = templateOf(worker).spec.containers;
    const env = (container: string, variable: string) => containers.find((c) => c.name === container)?.env?.find((e) => e.name === variable)?.value;
    assert.equal(env('worker', 'ISOLA_SIDECAR_URL'), 'http://127.0.0.1:3500');
    assert.equal(env('sidecar', 'ISOLA_SIDECAR_HOST'), '127.0.0.1');
    assert.equal(env('sidecar', 'ISOLA_GATEWAY_URL'), 'http://isola-gateway:8080');
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'isola-worker');
    assert.ok(policy && !JSON.stringify(policy.spec).includes('3500'), 'no policy opens the sidecar port');
  });
}

test('prod renders no Secret (they are created out of band) and no in-cluster Redis', () => {
  const objects = render('prod');
  assert.deepEqual(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name), []);
  assert.deepEqual(objects.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name), []);
  const placeholders = /CHANGE-ME|placeholder|dev-admin-token/i;
  for (const object of objects) assert.ok(!placeholders.test(JSON.stringify(object.data ?? {})), `${object.kind}/${object.metadata.name}`);
});

test('dev renders its placeholder Secrets and an in-cluster Redis', () => {
  const objects = render('dev');
  const secrets = objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name).sort();
  assert.deepEqual(secrets, ['isola-redis', 'isola-secrets']);
  const key = objects.find((o) => o.metadata.name === 'isola-secrets')?.data?.['secret-key'];
  assert.equal(Buffer.from(Buffer.from(key ?? '', 'base64').toString(), 'base64').length, 32, 'secret-key is 32 bytes as base64');
  assert.ok(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'redis'));
});

test('schema validation catches a broken object', () => {
  const broken = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two', selector: {}, template: {} } };
  assert.throws(() => new Deployment(broken as never).validate());
  const roleWithoutVerbs = { metadata: { name: 'x' }, rules: [{ apiGroups: [''], resources: ['configmaps'] }] };
  assert.throws(() => new Role(roleWithoutVerbs as never).validate(), /verbs/);
  // OpenAPI v3.0, as CRDs take it: exclusiveMinimum is a boolean beside minimum, not a number.
  const crd = render('dev').find((o) => o.kind === 'CustomResourceDefinition');
  assert.ok(crd);
  const crdWithNumericBound = structuredClone(crd) as unknown as { spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] } };
  crdWithNumericBound.spec.versions[0]!.schema.openAPIV3Schema.properties.spec = { type: 'object', properties: { qps: { type: 'number', exclusiveMinimum: 0 } } };
  assert.throws(() => new CustomResourceDefinition(crdWithNumericBound as never).validate(), /exclusiveMinimum must be boolean/);
});
