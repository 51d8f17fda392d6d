import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IsolaError } from '../errors/isola-error.js';
import { bundleFunction, type BundleProblem } from './bundler.js';

function problemsOf(error: unknown): BundleProblem[] {
  assert.ok(error instanceof IsolaError, `expected an IsolaError, got ${String(error)}`);
  assert.equal(error.code, 'BUNDLE_FAILED');
  assert.equal(error.status, 400);
  return (error.details as { problems: BundleProblem[] }).problems;
}

describe('bundler', () => {
  test('bundles TypeScript with relative imports (./x.js meaning ./x.ts) into one ES module', async () => {
    const output = await bundleFunction({
      main: 'src/index.ts',
      files: {
        'src/index.ts': "import { greet } from './greet.js';\nimport data from '../data.json';\nexport default { fetch: (): string => greet(data.who) };",
        'src/greet.ts': 'export const greet = (who: string): string => `hi ${who}`;',
        'data.json': '{"who": "ada"}',
      },
    });
    assert.match(output.code, /export\s*\{/);
    assert.doesNotMatch(output.code, /import /);
    assert.doesNotMatch(output.code, /: string/);
    assert.match(output.codeHash, /^[0-9a-f]{64}$/);
    const module = (await import(`data:text/javascript,${encodeURIComponent(output.code)}`)) as { default: { fetch: () => string } };
    assert.equal(module.default.fetch(), 'hi ada');
  });

  test('bundles the uploaded files, whatever files of the same names the working directory holds', async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'isola-bundler-cwd-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'index.ts'), 'export default { fetch() { return "from disk"; } };');
    process.chdir(dir);
    try {
      const output = await bundleFunction({ main: 'src/index.ts', files: { 'src/index.ts': 'export default { fetch: () => "uploaded" };' } });
      assert.match(output.code, /uploaded/);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the same sources give the same code hash', async () => {
    const files = { 'index.js': 'export default { fetch() { return 1; } };' };
    const [a, b] = await Promise.all([bundleFunction({ files, main: 'index.js' }), bundleFunction({ files, main: './index.js' })]);
    assert.equal(a.codeHash, b.codeHash);
  });

  test('a syntax error is reported as file:line:column', async () => {
    const error = await bundleFunction({
      main: 'src/index.ts',
      files: { 'src/index.ts': "import './ok.js';\n", 'src/ok.ts': 'const a = 1;\nexport default {\n  fetch( {\n};\n' },
    }).catch((caught: unknown) => caught);
    const [problem] = problemsOf(error);
    assert.equal(problem?.location, 'src/ok.ts:4:2');
    assert.match((error as IsolaError).message, /src\/ok\.ts:4:2/);
  });

  test('every error is listed, not only the first', async () => {
    const error = await bundleFunction({
      main: 'index.ts',
      files: { 'index.ts': "import a from './missing.js';\nimport b from 'left-pad';\nimport c from 'node:fs';\nexport default { a, b, c };" },
    }).catch((caught: unknown) => caught);
    const problems = problemsOf(error);
    assert.equal(problems.length, 3);
    assert.match(problems[0]?.message ?? '', /cannot find "\.\/missing\.js"/);
    assert.match(problems[1]?.message ?? '', /bundle npm dependencies/);
    assert.match(problems[2]?.message ?? '', /Node\.js module/);
    assert.equal(problems[2]?.location, 'index.ts:3:15');
  });

  test('a main file that was not uploaded is a clear error', async () => {
    const error = await bundleFunction({ main: 'src/index.ts', files: { 'index.ts': '' } }).catch((caught: unknown) => caught);
    assert.match(problemsOf(error)[0]?.message ?? '', /missing entry src\/index\.ts; uploaded: index\.ts/);
  });
});
