import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { FakeApiServer } from './testing/index.js';

// The operator's entry point as the image runs it (`node k8s/operator/dist/main.js`): settings
// from the environment, the Kubernetes API from KUBECONFIG, health on its port, SIGTERM.

const main = new URL('./main.js', import.meta.url).pathname;
let kube: FakeApiServer;
let dir: string;

before(async () => {
  kube = await FakeApiServer.start();
  kube.putObject(parse(readFileSync(new URL('../../crds/functions.isola.dev.yaml', import.meta.url), 'utf8')) as never);
  kube.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'isola' } });
  dir = mkdtempSync(join(tmpdir(), 'isola-operator-main-'));
});

after(async () => {
  await kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH, HOME: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function eventually<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => null);
    if (value !== null && value !== undefined && value !== false) return value;
    assert.ok(Date.now() < deadline, `${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('invalid settings stop it at once with exit 2, every problem named by its variable', async () => {
  const started = run({ ISOLA_OPERATOR_NAMESPACE: 'isola', ISOLA_SCALE_MIN: '0', ISOLA_SCALE_MAX: 'many' });
  assert.equal(await started.exited, 2);
  for (const name of ['ISOLA_URL', 'ISOLA_TOKEN', 'ISOLA_SCALE_MIN=0', 'ISOLA_SCALE_MAX=many']) assert.match(started.stderr(), new RegExp(name));
});

test('it takes the Lease, answers /healthz and /readyz, and on SIGTERM releases the Lease and exits 0', async () => {
  const kubeconfig = kube.writeKubeconfig(join(dir, 'kubeconfig'), { user: 'operator-pod', namespace: 'isola' });
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const started = run({
    KUBECONFIG: kubeconfig,
    ISOLA_URL: 'http://127.0.0.1:9', // nothing to reconcile: the control plane is not called
    ISOLA_TOKEN: 'token',
    ISOLA_OPERATOR_NAMESPACE: 'isola',
    ISOLA_OPERATOR_ID: 'isola-operator-pod-1',
    ISOLA_OPERATOR_PORT: String(port),
    ISOLA_OPERATOR_HOST: '127.0.0.1',
    ISOLA_SCALE_DEPLOYMENT: '',
  });
  try {
    const lease = () => kube.getObject('coordination.k8s.io/v1', 'Lease', 'isola', 'isola-operator') as unknown as { spec: { holderIdentity: string } } | undefined;
    await eventually('it holds the Lease', () => lease()?.spec.holderIdentity === 'isola-operator-pod-1');
    const health = await eventually('/healthz answers', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).json() as Promise<{ leader: boolean }>);
    assert.equal(health.leader, true);
    await eventually('/readyz answers 200', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
    await eventually('it watches the Functions', () => kube.openWatches('/apis/isola.dev/v1alpha1/namespaces/isola/functions') === 1);
    started.child.kill('SIGTERM');
    assert.equal(await started.exited, 0, started.stderr());
    assert.equal(lease()?.spec.holderIdentity, '', 'released for a successor');
  } finally {
    started.child.kill('SIGKILL');
  }
});
