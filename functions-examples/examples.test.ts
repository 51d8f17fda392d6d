// Every example's tests, against ONE real `isola up --deploy-examples` (a platform per test
// file would cost ~2 s and ~200 MB each). Each example keeps its tests beside it, in
// <example>/test/<example>.spec.ts, exporting exampleSpec(examples); this file starts the
// platform, finds every example folder and runs its spec.
//
// Run only some:  ISOLA_EXAMPLES=todo-api,checkout node scripts/run-tests.mjs functions-examples/dist/examples.test
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFunctionFolder } from '@isola/cli';
import { ExamplePlatform, exampleFolders, examplesDir } from './example-platform.js';

type ExampleSpec = (examples: ExamplePlatform) => void;

const folders = exampleFolders();
const only = process.env.ISOLA_EXAMPLES?.split(',').map((name) => name.trim());
const specs = new Map<string, ExampleSpec | null>();
for (const folder of folders) {
  const compiled = new URL(`./${folder}/test/${folder}.spec.js`, import.meta.url);
  specs.set(folder, existsSync(fileURLToPath(compiled)) ? ((await import(compiled.href)) as { exampleSpec: ExampleSpec }).exampleSpec : null);
}

const examples = new ExamplePlatform();
before(() => examples.start());
after(() => examples.stop());

test('isola up --deploy-examples deploys every example folder as it is', () => {
  const output = examples.platform.output();
  assert.deepEqual(examples.platform.stderr().match(/^Could not deploy .*$/gm) ?? [], [], 'every folder deploys');
  for (const folder of folders) {
    const { name } = readFunctionFolder(join(examplesDir, folder)).manifest;
    assert.match(output, new RegExp(`Deployed ${String(name)} v\\d+`), `${folder} was not deployed; the platform printed:\n${output}`);
  }
});

test('every example has a README and a spec', () => {
  for (const folder of folders) {
    assert.ok(existsSync(join(examplesDir, folder, 'README.md')), `${folder}/README.md is missing`);
    assert.ok(specs.get(folder), `${folder}/test/${folder}.spec.ts is missing, or not compiled (see the tsconfig's exclude)`);
  }
});

for (const [folder, spec] of specs) {
  if (spec !== null && (only === undefined || only.includes(folder))) spec(examples);
}
