// The operator's objects in each rendered overlay: least-privilege RBAC in its own namespace, the
// settings it is started with, and names that agree across the Role, the env and the objects
// they point at.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { findObject, overlays, render, templateOf, workloads, type Container, type K8sObject } from './kustomize.js';

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** Everything the operator may do: the whole list, no more. */
const expectedRules: PolicyRule[] = [
  { apiGroups: ['isola.dev'], resources: ['functions'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
  { apiGroups: ['isola.dev'], resources: ['functions/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['isola.dev'], resources: ['functions/finalizers'], verbs: ['update'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['isola-operator'], verbs: ['get', 'update'] },
  { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['isola-worker'], verbs: ['get', 'update', 'patch'] },
];

/** The operator's settings; the others keep their defaults (listed in k8s/base/operator.yaml). */
const operatorEnv = [
  'ISOLA_URL',
  'ISOLA_TOKEN',
  'ISOLA_OPERATOR_NAMESPACE',
  'ISOLA_OPERATOR_ID',
  'ISOLA_OPERATOR_PORT',
  'ISOLA_SCALE_DEPLOYMENT',
  'ISOLA_SCALE_MIN',
  'ISOLA_SCALE_MAX',
];

const perOverlay = {
  dev: { operatorReplicas: 1, scaleMin: '1', scaleMax: '10' },
  prod: { operatorReplicas: 2, scaleMin: '2', scaleMax: '20' },
} as const;

/** Order-free form of a rule list: sorted fields, rules sorted by their JSON. */
function normalizeRules(rules: PolicyRule[]): string[] {
  return rules
    .map((rule) =>
      JSON.stringify({
        apiGroups: [...rule.apiGroups].sort(),
        resources: [...rule.resources].sort(),
        resourceNames: rule.resourceNames === undefined ? undefined : [...rule.resourceNames].sort(),
        verbs: [...rule.verbs].sort(),
      }),
    )
    .sort();
}

function operatorContainer(objects: K8sObject[]): Container {
  const deployment = findObject(objects, 'Deployment', 'isola-operator');
  assert.ok(deployment, 'Deployment isola-operator');
  const container = templateOf(deployment).spec.containers.find((c) => c.name === 'operator');
  assert.ok(container, 'container operator');
  return container;
}

const envValue = (container: Container, name: string) => container.env?.find((e) => e.name === name)?.value;

for (const overlay of overlays) {
  const objects = render(overlay);
  const expected = perOverlay[overlay];

  test(`${overlay}: the operator's Role grants exactly its list, in its namespace only`, () => {
    const role = findObject(objects, 'Role', 'isola-operator') as (K8sObject & { rules: PolicyRule[] }) | undefined;
    assert.ok(role, 'Role isola-operator');
    assert.deepEqual(normalizeRules(role.rules), normalizeRules(expectedRules));
    for (const rule of role.rules) {
      for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs]) assert.ok(!value.includes('*'), `no wildcards: ${JSON.stringify(rule)}`);
    }
    assert.deepEqual(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding').map((o) => o.metadata.name), []);
    assert.deepEqual(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.name), ['isola-operator'], 'the only Role');
  });

  test(`${overlay}: the RoleBinding gives that Role to the operator's ServiceAccount alone`, () => {
    const binding = findObject(objects, 'RoleBinding', 'isola-operator') as
      | (K8sObject & { roleRef: { apiGroup: string; kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] })
      | undefined;
    assert.ok(binding, 'RoleBinding isola-operator');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'isola-operator' });
    assert.equal(binding.subjects.length, 1);
    const [subject] = binding.subjects;
    assert.equal(subject?.kind, 'ServiceAccount');
    assert.equal(subject?.name, 'isola-operator');
    // Absent means the binding's own namespace; anything else would bind another namespace's account.
    assert.ok(subject?.namespace === undefined || subject.namespace === binding.metadata.namespace, `subject namespace ${subject?.namespace}`);
    assert.ok(findObject(objects, 'ServiceAccount', 'isola-operator'), 'ServiceAccount isola-operator');
  });

  test(`${overlay}: the operator runs its own program with its ServiceAccount and exactly its settings`, () => {
    const deployment = findObject(objects, 'Deployment', 'isola-operator');
    assert.ok(deployment);
    const spec = templateOf(deployment).spec;
    assert.equal((deployment.spec as { replicas?: number }).replicas, expected.operatorReplicas);
    assert.equal(spec.serviceAccountName, 'isola-operator');
    assert.equal(spec.automountServiceAccountToken, true);
    assert.equal(spec.terminationGracePeriodSeconds, 15);
    assert.equal(spec.containers.length, 1);
    const container = operatorContainer(objects);
    assert.deepEqual(container.command, ['node', 'k8s/operator/dist/main.js']);
    assert.equal(container.args, undefined);
    assert.equal(container.envFrom, undefined, 'no settings beyond the listed ones');
    assert.deepEqual(container.env?.map((e) => e.name).sort(), [...operatorEnv].sort());
    assert.equal(envValue(container, 'ISOLA_URL'), 'http://isola-gateway:8080');
    assert.deepEqual(container.env?.find((e) => e.name === 'ISOLA_TOKEN')?.valueFrom, { secretKeyRef: { name: 'isola-secrets', key: 'admin-token' } });
    assert.deepEqual(container.env?.find((e) => e.name === 'ISOLA_OPERATOR_NAMESPACE')?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
    assert.deepEqual(container.env?.find((e) => e.name === 'ISOLA_OPERATOR_ID')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.equal(envValue(container, 'ISOLA_OPERATOR_PORT'), '8090');
    assert.equal(envValue(container, 'ISOLA_SCALE_MIN'), expected.scaleMin);
    assert.equal(envValue(container, 'ISOLA_SCALE_MAX'), expected.scaleMax);
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 8090 }]);
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' });
    assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
  });

  test(`${overlay}: the names the operator is given are the ones its Role grants and that exist`, () => {
    const container = operatorContainer(objects);
    const role = findObject(objects, 'Role', 'isola-operator') as K8sObject & { rules: PolicyRule[] };
    const namesFor = (resource: string) => role.rules.filter((r) => r.resources.includes(resource)).flatMap((r) => r.resourceNames ?? []);
    const scaled = envValue(container, 'ISOLA_SCALE_DEPLOYMENT');
    assert.deepEqual(namesFor('deployments/scale'), [scaled]);
    assert.ok(scaled !== undefined && findObject(objects, 'Deployment', scaled), `Deployment ${scaled} exists`);
    // ISOLA_OPERATOR_LEASE is left at its default, isola-operator.
    assert.deepEqual(namesFor('leases'), [envValue(container, 'ISOLA_OPERATOR_LEASE') ?? 'isola-operator']);
    const url = new URL(envValue(container, 'ISOLA_URL') ?? '');
    const service = findObject(objects, 'Service', url.hostname) as (K8sObject & { spec: { ports: { port: number }[] } }) | undefined;
    assert.ok(service, `Service ${url.hostname}`);
    assert.ok(service.spec.ports.some((p) => String(p.port) === url.port), `Service ${url.hostname} serves ${url.port}`);
  });

  test(`${overlay}: the operator's scale range is valid and it alone sets the worker's replicas (none rendered)`, () => {
    const container = operatorContainer(objects);
    const min = Number(envValue(container, 'ISOLA_SCALE_MIN'));
    const max = Number(envValue(container, 'ISOLA_SCALE_MAX'));
    assert.ok(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && min <= max, `range ${min}..${max}`);
    if (min === 0) assert.equal(envValue(container, 'ISOLA_SCALE_ASYNC_ONLY'), 'true', 'ISOLA_SCALE_MIN=0 needs ISOLA_SCALE_ASYNC_ONLY=true');
    const worker = findObject(objects, 'Deployment', envValue(container, 'ISOLA_SCALE_DEPLOYMENT') ?? '');
    assert.ok(worker, 'the Deployment the operator scales is rendered');
    assert.equal((worker.spec as { replicas?: number }).replicas, undefined, 'a replicas field would be set back by every kubectl apply');
  });

  test(`${overlay}: only the operator's pods get a service account token`, () => {
    for (const workload of workloads(objects)) {
      const spec = templateOf(workload).spec;
      if (workload.metadata.name === 'isola-operator') continue;
      assert.equal(spec.automountServiceAccountToken, false, `${workload.kind}/${workload.metadata.name}`);
      assert.equal(spec.serviceAccountName, undefined, `${workload.kind}/${workload.metadata.name}`);
    }
  });

  test(`${overlay}: the operator takes ingress on 8090 only, and may lose one pod at a time`, () => {
    const operatorLabels = templateOf(findObject(objects, 'Deployment', 'isola-operator') as K8sObject).metadata?.labels ?? {};
    const selects = (o: K8sObject) => {
      const selector = (o.spec as { podSelector?: { matchLabels?: Record<string, string> } }).podSelector?.matchLabels ?? {};
      return Object.entries(selector).every(([key, value]) => operatorLabels[key] === value);
    };
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && selects(o));
    const ingress = policies.flatMap((p) => (p.spec as { ingress?: { ports?: { port: number; protocol: string }[] }[] }).ingress ?? []);
    assert.ok(policies.some((p) => p.metadata.name === 'default-deny-ingress'), 'the default deny applies to it');
    assert.deepEqual(ingress.map((rule) => rule.ports), [[{ port: 8090, protocol: 'TCP' }]]);
    const budget = findObject(objects, 'PodDisruptionBudget', 'isola-operator');
    assert.equal((budget?.spec as { maxUnavailable?: number } | undefined)?.maxUnavailable, 1);
  });
}
