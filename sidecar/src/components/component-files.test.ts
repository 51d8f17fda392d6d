import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IsolaError } from '@isola/core';
import { componentsYaml, defaultComponents, loadComponentsDir, parseComponentsYaml } from './component-files.js';

describe('component YAML files', () => {
  it('reads several documents per file, skipping other Dapr kinds', () => {
    const { definitions, problems } = parseComponentsYaml(
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: cache }
spec:
  type: state.redis
  version: v1
  metadata:
  - { name: redisDB, value: 2 }
  - { name: keyPrefix, value: none }
scopes: [cart]
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: { name: ignored }
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: locks }
spec: { type: lock.redis, version: v1 }
`,
      'components.yaml',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      definitions.map((definition) => [definition.name, definition.type, definition.metadata, definition.scopes]),
      [
        ['cache', 'state.redis', { redisDB: '2', keyPrefix: 'none' }, ['cart']],
        ['locks', 'lock.redis', {}, null],
      ],
    );
  });

  it('refuses a folder with every problem listed by file and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isola-components-'));
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: store }\nspec:\n  type: state.mongodb\n  version: v1\n');
    writeFileSync(
      join(dir, 'b.yml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: store }\nspec:\n  type: state.redis\n  version: v2\n---\napiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: other }\nspec:\n  type: lock.redis\n  metadata:\n  - { name: redisHst, value: x }\n  - { name: timeoutMs, value: soon }\n  - { name: redisPassword, secretKeyRef: { name: p } }\n',
    );
    writeFileSync(join(dir, 'c.yaml'), 'kind: [unclosed');
    assert.throws(
      () => loadComponentsDir(dir),
      (error) => {
        assert.ok(error instanceof IsolaError);
        const problems = (error.details as { problems: string[] }).problems;
        const expected = [
          /a\.yaml \(document 1\) spec\.type: unknown component type "state\.mongodb"; the sidecar implements state\.redis/,
          /b\.yml \(document 1\) spec\.version: must be v1/,
          /b\.yml \(document 2\) spec\.metadata\.redisHst: unknown metadata for lock\.redis/,
          /b\.yml \(document 2\) spec\.metadata\.timeoutMs: must be a whole number/,
          /b\.yml \(document 2\) spec\.metadata\.2: secretKeyRef is not supported/,
          /c\.yaml \(document 1\)/,
        ];
        for (const pattern of expected) assert.ok(problems.some((problem) => pattern.test(problem)), `no problem matches ${pattern}:\n${problems.join('\n')}`);
        return true;
      },
    );
  });

  it('names a duplicate component', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isola-components-'));
    const doc = 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: statestore }\nspec: { type: state.in-memory, version: v1 }\n';
    writeFileSync(join(dir, 'one.yaml'), doc);
    writeFileSync(join(dir, 'two.yaml'), doc);
    assert.throws(() => loadComponentsDir(dir), /component "statestore" is already defined in .*one\.yaml/);
  });

  it('prints the default components as YAML that reads back the same', () => {
    const { definitions, problems } = parseComponentsYaml(componentsYaml(defaultComponents()), 'defaults.yaml');
    assert.deepEqual(problems, []);
    assert.deepEqual(
      definitions.map(({ name, type, metadata }) => ({ name, type, metadata })),
      defaultComponents().map(({ name, type, metadata }) => ({ name, type, metadata })),
    );
  });
});
