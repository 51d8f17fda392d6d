// The image the manifests run (the repository's Dockerfile) against what they expect of it. The
// image cannot be built here (no container engine), so these read the Dockerfile.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import { k8sDir, readObjects, templateOf } from './kustomize.js';

const repoDir = join(k8sDir, '..');
const dockerfile = readFileSync(join(repoDir, 'Dockerfile'), 'utf8');

test('the Dockerfile copies every workspace manifest before npm install', () => {
  const { workspaces } = JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8')) as { workspaces: string[] };
  const install = dockerfile.indexOf('RUN npm install');
  assert.ok(install > 0, 'RUN npm install');
  for (const workspace of workspaces) {
    const copy = dockerfile.indexOf(`COPY ${workspace}/package.json ${workspace}/\n`);
    assert.ok(copy > 0 && copy < install, `COPY ${workspace}/package.json ${workspace}/ before npm install`);
  }
});

test("the operator Deployment starts the operator package's program, relative to the image's WORKDIR", () => {
  const workdirs = [...dockerfile.matchAll(/^WORKDIR (\S+)$/gm)].map((match) => match[1]);
  assert.equal(workdirs.at(-1), '/app', 'runtime WORKDIR');
  const { bin } = JSON.parse(readFileSync(join(k8sDir, 'operator', 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const program = posix.join('k8s/operator', bin['isola-operator'] ?? '');
  const deployment = readObjects('base/operator.yaml').find((o) => o.kind === 'Deployment');
  assert.ok(deployment);
  assert.deepEqual(templateOf(deployment).spec.containers[0]?.command, ['node', program]);
});
