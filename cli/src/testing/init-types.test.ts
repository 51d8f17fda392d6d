// `isola init` and `isola types` as an author runs them: the built CLI as a child process in temp
// folders. Every template's folder is checked the way its author will use it: its manifest
// parses, its TypeScript compiles with the repository's tsc against @isola/types (node_modules
// linked to the repository's), `isola types --check` agrees with it, and its own tests pass under
// `isola test` once that command exists (init-deploy.test.ts deploys each to a real isola up).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseManifest } from '@isola/core';
import { linkNodeModules, runIsola as isola, scratchFolder, tscErrors as tsc, type CliRun as Run } from './cli-process.js';

const templateNames = ['http', 'cron', 'queue', 'rpc', 'typescript'] as const;
/** The templates' tests import the authors' testing helper; until it is built they cannot compile or run. */
const localHelperBuilt = builtModuleExists('@isola/cli/local');
const noLocalHelper = 'the testing helper @isola/cli/local is not built yet';

function builtModuleExists(specifier: string): boolean {
  try {
    return existsSync(fileURLToPath(import.meta.resolve(specifier)));
  } catch {
    return false;
  }
}

/** Every file under `dir` (paths relative to it, with /), node_modules left out. */
function filesUnder(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules') return [];
    return statSync(path).isDirectory() ? filesUnder(path, root) : [relative(root, path).split('\\').join('/')];
  });
}

const scratch = scratchFolder('isola-init-');
after(() => scratch.remove());
const work = scratch.root;
const freshDir = scratch.fresh;

describe('isola init', () => {
  // Every template side by side in one folder, as functions of one project.
  let project: string;
  const runs = new Map<string, Run>();
  before(async () => {
    project = freshDir('templates');
    for (const template of templateNames) {
      const run = await isola(project, 'init', `my-${template}`, '--template', template);
      assert.equal(run.code, 0, run.stderr);
      runs.set(template, run);
      linkNodeModules(join(project, `my-${template}`));
    }
  });

  for (const template of templateNames) {
    describe(`--template ${template}`, () => {
      const dir = () => join(project, `my-${template}`);

      test('writes the function folder and says what to do next', () => {
        const files = filesUnder(dir()).sort();
        for (const expected of ['.gitignore', 'README.md', 'isola.yaml', 'package.json', 'src/env.d.ts', 'src/index.ts', 'test/index.test.ts', 'test/tsconfig.json', 'tsconfig.json']) {
          assert.ok(files.includes(expected), `${expected} in ${files.join(', ')}`);
        }
        for (const file of files) assert.doesNotMatch(readFileSync(join(dir(), file), 'utf8'), /\{\{/, `${file} has no placeholder left`);
        const { stdout } = runs.get(template) as Run;
        assert.match(stdout, new RegExp(`Created my-${template} from the ${template} template in my-${template}:`));
        assert.match(stdout, /cd my-\w+\n\s+npm install[^\n]*\n\s+npm run dev[^\n]*\n\s+npm test[^\n]*\n\s+npm run deploy/);
      });

      test('its isola.yaml is a valid manifest named after the function', () => {
        const manifest = parseManifest(parseYaml(readFileSync(join(dir(), 'isola.yaml'), 'utf8')));
        assert.equal(manifest.name, `my-${template}`);
        assert.equal(manifest.main, 'src/index.ts');
      });

      test('package.json runs the isola commands; .gitignore keeps local state and secrets out', () => {
        const pkg = JSON.parse(readFileSync(join(dir(), 'package.json'), 'utf8')) as { name: string; type: string; scripts: Record<string, string>; devDependencies: Record<string, string> };
        assert.equal(pkg.name, `my-${template}`);
        assert.equal(pkg.type, 'module');
        assert.deepEqual(
          { dev: pkg.scripts['dev'], test: pkg.scripts['test'], deploy: pkg.scripts['deploy'], types: pkg.scripts['types'] },
          { dev: 'isola dev', test: 'isola test', deploy: 'isola deploy', types: 'isola types' },
        );
        for (const dependency of ['@isola/types', '@isola/cli', 'typescript']) assert.ok(pkg.devDependencies[dependency], dependency);
        const ignored = readFileSync(join(dir(), '.gitignore'), 'utf8').split('\n');
        for (const entry of ['node_modules/', '.isola/', '.dev.vars']) assert.ok(ignored.includes(entry), entry);
      });

      test('src/env.d.ts is what isola types writes from its isola.yaml', async () => {
        const check = await isola(dir(), 'types', '--check');
        assert.equal(check.code, 0, check.stderr);
      });

      test('its tests pass under isola test', { skip: localHelperBuilt ? false : noLocalHelper }, async (t) => {
        // (`isola test --help` would print the general help when there is no such command.)
        if (!/^ {2}test\b/m.test((await isola(dir(), '--help')).stdout)) return t.skip('the CLI has no "isola test" yet');
        const result = await isola(dir(), 'test');
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      });
    });
  }

  // One tsc run over every template (their Env types are modules, so they do not clash), with
  // the templates' own tsconfig.json: tsc is slow to start.
  test("every template's source type-checks with tsc against @isola/types, with its tsconfig", async () => {
    // "types": ["@isola/types"] is looked up from the folder of the tsconfig that runs.
    linkNodeModules(project);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ extends: './my-http/tsconfig.json', include: templateNames.map((template) => `my-${template}/src`) }));
    assert.deepEqual(await tsc(project, '-p', '.'), []);
  });

  test("every template's tests type-check with test/tsconfig.json", { skip: localHelperBuilt ? false : noLocalHelper }, async () => {
    writeFileSync(
      join(project, 'tsconfig.tests.json'),
      JSON.stringify({ extends: './my-http/test/tsconfig.json', include: templateNames.map((template) => `my-${template}/test`) }),
    );
    assert.deepEqual(await tsc(project, '-p', 'tsconfig.tests.json'), []);
  });

  test('a name that is not a DNS label is refused with a suggestion, and nothing is written', async () => {
    const dir = freshDir('bad-names');
    for (const [name, suggestion] of [['My App', 'my-app'], ['trailing-', 'trailing'], ['x'.repeat(64), 'x'.repeat(63)], ['!!!', null]] as const) {
      const run = await isola(dir, 'init', name);
      assert.equal(run.code, 1, name);
      assert.match(run.stderr, /is not a valid function name: use 1 to 63 lowercase letters, digits and -/, name);
      if (suggestion === null) assert.doesNotMatch(run.stderr, /try "/, name);
      else assert.ok(run.stderr.includes(`try "${suggestion}"`), `${name}: ${run.stderr}`);
    }
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a folder that is not empty is refused unless --force, which keeps files the template does not have', async () => {
    const dir = freshDir('occupied');
    mkdirSync(join(dir, 'hello'));
    writeFileSync(join(dir, 'hello', 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'hello', 'isola.yaml'), 'name: old\n');

    const refused = await isola(dir, 'init', 'hello');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /hello is not empty \(.*notes\.txt.*\): choose another name or --dir, or pass --force/);
    assert.equal(readFileSync(join(dir, 'hello', 'isola.yaml'), 'utf8'), 'name: old\n');

    const forced = await isola(dir, 'init', 'hello', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(join(dir, 'hello', 'notes.txt'), 'utf8'), 'mine');
    assert.match(readFileSync(join(dir, 'hello', 'isola.yaml'), 'utf8'), /^name: hello /m);
  });

  test('without a name: named after --dir, or after the current folder and written into it', async () => {
    const parent = freshDir('unnamed');
    const withDir = await isola(parent, 'init', '--dir', 'functions/billing', '--template', 'rpc');
    assert.equal(withDir.code, 0, withDir.stderr);
    assert.match(readFileSync(join(parent, 'functions', 'billing', 'isola.yaml'), 'utf8'), /^name: billing /m);
    assert.match(withDir.stdout, /cd functions\/billing/);

    const here = freshDir('pricing-svc');
    const inPlace = await isola(here, 'init');
    assert.equal(inPlace.code, 0, inPlace.stderr);
    assert.match(readFileSync(join(here, 'isola.yaml'), 'utf8'), /^name: pricing-svc /m);
    assert.match(inPlace.stdout, /in this folder:/);
    assert.doesNotMatch(inPlace.stdout, /\bcd /);
  });

  test('a name too long for what the template derives from it is refused with the manifest problems, and nothing is written', async () => {
    const dir = freshDir('long-name');
    const name = 'q'.repeat(60);
    const run = await isola(dir, 'init', name, '--template', 'queue');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the queue template's isola.yaml for "q+" is invalid, 3 problems:/);
    assert.match(run.stderr, /queues\.0\.topic \(line \d+\): /);
    assert.match(run.stderr, /bindings\.JOBS\.topic \(line \d+\): /);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('an unknown template is refused with the list of templates; --help lists them with examples', async () => {
    const run = await isola(work, 'init', 'x', '--template', 'graphql');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /argument 'graphql' is invalid\. Allowed choices are http, cron, queue, rpc, typescript/);

    const help = await isola(work, 'init', '--help');
    assert.equal(help.code, 0);
    for (const template of templateNames) assert.match(help.stdout, new RegExp(`^  ${template}\\s+\\S`, 'm'));
    assert.match(help.stdout, /Examples:\n\s+isola init hello/);
  });
});

describe('isola types', () => {
  let shop: string;
  const manifest = `name: shop
main: src/index.ts
vars: { GREETING: Hello, CURRENCY: EUR }
secrets: [STRIPE_KEY]
bindings:
  CART:   { type: state, store: statestore }
  EVENTS: { type: pubsub, pubsub: pubsub, topic: orders }
  FLAGS:  { type: config, store: configstore }
  LOCKS:  { type: lock, store: lockstore }
  VAULT:  { type: secret, store: secretstore }
  PRICER: { type: service, function: pricer }   # a folder beside shop: typed by its code
  MAILER: { type: service, function: mailer }   # not here: typed loosely
  JOBS:   { type: queue, topic: jobs }
`;
  // Uses every binding; correct, so it must compile.
  const source = `import type { ExportedHandler } from '@isola/types';
import type { Env } from './env.js';

interface Order { sku: string; quantity: number }

export default {
  async fetch(request, env) {
    const order: Order = { sku: 'sku-1', quantity: 2 };
    await env.CART.put('order', order);
    await env.EVENTS.publish(order);
    const flags = await env.FLAGS.get(['discount']);
    const lock = await env.LOCKS.acquire('checkout', { ttlSeconds: 5 });
    const key: string = await env.VAULT.get('stripe');
    const quote = await env.PRICER.quote(order.sku, order.quantity);
    const mailed: unknown = await env.MAILER.send({ to: 'a@example.com' }, order);
    await env.JOBS.send(order);
    return Response.json({ greeting: env.GREETING + env.CURRENCY, secret: env.STRIPE_KEY.length + key.length, flags, lock, total: quote.total, mailed, url: request.url });
  },
} satisfies ExportedHandler<Env>;
`;

  before(async () => {
    const parent = freshDir('types');
    for (const [name, template] of [['shop', 'http'], ['pricer', 'rpc']] as const) {
      const run = await isola(parent, 'init', name, '--template', template);
      assert.equal(run.code, 0, run.stderr);
      linkNodeModules(join(parent, name));
    }
    shop = join(parent, 'shop');
    writeFileSync(join(shop, 'isola.yaml'), manifest);
    writeFileSync(join(shop, 'src', 'index.ts'), source);
  });

  test('after a manifest change, --check fails and lists the changed lines', async () => {
    const run = await isola(shop, 'types', '--check');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /src\/env\.d\.ts is out of date with isola\.yaml: run "isola types" to regenerate it/);
    assert.match(run.stderr, /^\+ {3}CART: StateBinding;$/m);
    assert.match(run.stderr, /^\+ {3}CURRENCY: string;$/m);
    assert.doesNotMatch(run.stderr, /GREETING/, 'unchanged lines are not listed');
  });

  test('writes Env with every var, secret and binding kind: code using them all compiles, mistakes are tsc errors', async () => {
    const run = await isola(shop, 'types');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Wrote src\/env\.d\.ts: Env of shop \(2 vars, 1 secret, 8 bindings\)/);
    const env = readFileSync(join(shop, 'src', 'env.d.ts'), 'utf8');
    assert.match(env, /^\/\/ Generated by `isola types` from isola\.yaml: do not edit\./);
    assert.match(env, /^import type \{ ConfigBinding, LockBinding, PubSubBinding, QueueBinding, SecretBinding, ServiceBinding, StateBinding \} from '@isola\/types';$/m);
    for (const member of [
      'GREETING: string;',
      'CURRENCY: string;',
      'STRIPE_KEY: string;',
      'CART: StateBinding;',
      'EVENTS: PubSubBinding;',
      'FLAGS: ConfigBinding;',
      'LOCKS: LockBinding;',
      'VAULT: SecretBinding;',
      "PRICER: ServiceBinding<typeof import('../../pricer/src/index.js').default>;",
      'MAILER: ServiceBinding;',
      'JOBS: QueueBinding;',
    ]) {
      assert.ok(env.includes(`\n  ${member}\n`), `${member} in\n${env}`);
    }

    // src/index.ts (every binding, used correctly) must compile; each line here must not.
    const mistakes = `import type { Env } from './env.js';
export const wrongArity = (env: Env) => env.PRICER.quote('sku-1');
export const noSuchMethod = (env: Env) => env.CART.set('k', 1);
export const varAsNumber = (env: Env): number => env.GREETING;
export const unboundName = (env: Env) => env.ORDERS;
export const notJson = (env: Env) => env.JOBS.send({ at: new Date() });
`;
    writeFileSync(join(shop, 'src', 'mistakes.ts'), mistakes);
    try {
      const errors = await tsc(shop, '-p', '.');
      assert.deepEqual(
        errors.map((line) => /^(src\/[\w.]+)\((\d+),\d+\): error (TS\d+)/.exec(line)?.slice(1, 4).join(' ')),
        ['src/mistakes.ts 2 TS2554', 'src/mistakes.ts 3 TS2339', 'src/mistakes.ts 4 TS2322', 'src/mistakes.ts 5 TS2339', 'src/mistakes.ts 6 TS2322'],
        errors.join('\n'),
      );
    } finally {
      rmSync(join(shop, 'src', 'mistakes.ts'));
    }
    const check = await isola(shop, 'types', '--check');
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /src\/env\.d\.ts is up to date with isola\.yaml/);
  });

  test('--loose-services types every service binding loosely; --out writes elsewhere, relative to the folder', async () => {
    const run = await isola(shop, 'types', '--loose-services', '--out', 'types/env.d.ts');
    assert.equal(run.code, 0, run.stderr);
    const env = readFileSync(join(shop, 'types', 'env.d.ts'), 'utf8');
    assert.match(env, /^ {2}PRICER: ServiceBinding;$/m);
    const stale = await isola(shop, 'types', '--out', 'types/env.d.ts', '--check');
    assert.equal(stale.code, 1, 'the typed PRICER differs from the loose one');
    assert.match(stale.stderr, /^\+ {3}PRICER: ServiceBinding<typeof import\('\.\.\/\.\.\/pricer\/src\/index\.js'\)\.default>;$/m);
    assert.match(stale.stderr, /^- {3}PRICER: ServiceBinding;$/m);
  });

  test('--check fails on a missing file; a file isola types did not write is kept unless --force', async () => {
    const dir = join(shop, '..', 'pricer');
    const missing = await isola(dir, 'types', '--out', 'nowhere/env.d.ts', '--check');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nowhere\/env\.d\.ts does not exist: run "isola types --out nowhere\/env\.d\.ts" to write it/);

    writeFileSync(join(dir, 'src', 'own.d.ts'), 'export interface Env { MINE: string }\n');
    const kept = await isola(dir, 'types', '--out', 'src/own.d.ts');
    assert.equal(kept.code, 1);
    assert.match(kept.stderr, /own\.d\.ts exists and was not written by "isola types"; move it away, choose another file with --out, or overwrite it with --force/);
    assert.equal(readFileSync(join(dir, 'src', 'own.d.ts'), 'utf8'), 'export interface Env { MINE: string }\n');
    const forced = await isola(dir, 'types', '--out', 'src/own.d.ts', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(join(dir, 'src', 'own.d.ts'), 'utf8'), /^\/\/ Generated by `isola types`/);
  });

  test('a manifest without vars, secrets or bindings gives an empty Env that handlers accept', async () => {
    const dir = freshDir('bare');
    writeFileSync(join(dir, 'isola.yaml'), 'name: bare\nmain: src/index.ts\n');
    mkdirSync(join(dir, 'src'));
    writeFileSync(
      join(dir, 'src', 'index.ts'),
      `import type { ExportedHandler } from '@isola/types';\nimport type { Env } from './env.js';\nexport default { fetch: () => new Response('ok') } satisfies ExportedHandler<Env>;\n`,
    );
    writeFileSync(join(dir, 'tsconfig.json'), readFileSync(join(shop, 'tsconfig.json')));
    linkNodeModules(dir);
    const run = await isola(dir, 'types');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\(0 vars, 0 secrets, 0 bindings\)/);
    assert.match(readFileSync(join(dir, 'src', 'env.d.ts'), 'utf8'), /^export type Env = Record<never, never>;$/m);
    assert.deepEqual(await tsc(dir, '-p', '.'), []);
  });

  test('an invalid manifest: every problem listed by path and line, exit 1, nothing written', async () => {
    const dir = freshDir('invalid');
    writeFileSync(
      join(dir, 'isola.yaml'),
      'name: Bad_Name\nmain: src/index.ts\nvars: { 1X: y }\nbindings:\n  CART: { type: stat, store: statestore }\n  MAIL: { type: service }\n',
    );
    const run = await isola(dir, 'types');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /isola\.yaml is invalid, 4 problems:/);
    for (const [path, line] of [['name', 1], ['vars.1X', 3], ['bindings.CART.type', 5], ['bindings.MAIL.function', 6]] as const) {
      assert.match(run.stderr, new RegExp(`^  ${path.replaceAll('.', '\\.')} \\(line ${line}\\): `, 'm'), run.stderr);
    }
    assert.equal(existsSync(join(dir, 'src')), false);

    writeFileSync(join(dir, 'isola.yaml'), 'name: x\nmain: [unclosed\n');
    const broken = await isola(dir, 'types');
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /isola\.yaml is invalid, \d+ problems?:\n {2}\(YAML\): .*line \d+/);

    const none = await isola(freshDir('empty'), 'types');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no isola\.yaml in \.: pass the function's folder, or create one with "isola init"/);
  });
});
