// The authors' types package (worker-pool/types, published as @isola/types) checked the way an
// author uses it: the real tsc over function folders copied to a temp dir whose node_modules holds
// the package, with the tsconfig docs/functions.md recommends. Correct code must compile, common
// mistakes must be the expected tsc errors, and the package must declare exactly the runtime's
// binding API (worker-pool/src/runtime/bindings/types.ts, via its emitted declarations) and
// handler arguments, so the two cannot drift apart.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { bundleFunction } from '@isola/core';

const packageDir = fileURLToPath(new URL('../types', import.meta.url));
const fixtureDir = fileURLToPath(new URL('../fixtures/typed-functions', import.meta.url));
const runtimeSource = fileURLToPath(new URL('../src/runtime', import.meta.url));
const runtimeDeclarations = fileURLToPath(new URL('./runtime-types', import.meta.url));
const tscBin = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

interface TscError {
  file: string;
  code: string;
  message: string;
}

let project: string;

before(() => {
  project = mkdtempSync(join(tmpdir(), 'isola-types-'));
  cpSync(fixtureDir, project, { recursive: true });
  mkdirSync(join(project, 'node_modules', '@isola'), { recursive: true });
  symlinkSync(packageDir, join(project, 'node_modules', '@isola', 'types'), 'dir');
});
after(() => rmSync(project, { recursive: true, force: true }));

/** Runs tsc on the temp project with `args`; its errors, by file (messages without their elaboration lines). */
async function tsc(...args: string[]): Promise<{ errors: TscError[]; output: string }> {
  const output = await promisify(execFile)(process.execPath, [tscBin, '--pretty', 'false', ...args], { cwd: project }).then(
    ({ stdout }) => stdout,
    (failed: { stdout?: string }) => failed.stdout ?? String(failed),
  );
  const errors = [...output.matchAll(/^(.+?)\(\d+,\d+\): error (TS\d+): (.*)$/gm)].map(([, file, code, message]) => ({
    file: file as string,
    code: code as string,
    message: message as string,
  }));
  return { errors, output };
}

/** Writes `files` (path → source) into the temp project and a tsconfig covering just them. */
function writeCheck(name: string, files: Record<string, string>, compilerOptions: Record<string, unknown> = {}): string {
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), source);
  }
  const config = `tsconfig.${name}.json`;
  writeFileSync(join(project, config), JSON.stringify({ extends: './tsconfig.json', compilerOptions, include: Object.keys(files) }));
  return config;
}

describe('correct functions', () => {
  // Bundler is what authors of esbuild-bundled code use; NodeNext resolves the package's exports strictly.
  for (const resolution of [['--module', 'ESNext', '--moduleResolution', 'Bundler'], ['--module', 'NodeNext', '--moduleResolution', 'NodeNext']]) {
    test(`every handler and binding kind type-checks (${resolution[3]} resolution, lib WebWorker)`, async () => {
      const { errors, output } = await tsc('-p', '.', ...resolution);
      assert.deepEqual(errors, [], output);
    });
  }

  test('they type-check with lib DOM too', async () => {
    const { errors, output } = await tsc('-p', '.', '--lib', 'ES2022,DOM');
    assert.deepEqual(errors, [], output);
  });

  test('they bundle as deployed, without the type imports', async () => {
    const files = Object.fromEntries(['shop/src/index.ts', 'pricer/src/index.ts'].map((path) => [path, readFileSync(join(fixtureDir, path), 'utf8')]));
    const shop = await bundleFunction({ files, main: 'shop/src/index.ts' });
    const pricer = await bundleFunction({ files, main: 'pricer/src/index.ts' });
    for (const { code } of [shop, pricer]) assert.doesNotMatch(code, /@isola\/types/);
    // shop imports pricer's type only: none of pricer's code is in shop's bundle.
    assert.doesNotMatch(shop.code, /sku\.length \* 10/);
    assert.match(pricer.code, /sku\.length \* 10/);
  });
});

// Each sample: source using the pricer and shop fixtures' types, and the errors tsc must report
// (code and the start of the message), in order.
const header = `import type { ExecutionContext, ExportedHandler, ExportedHandlerScheduledHandler, LockBinding, PubSubBinding, QueueBinding, SecretBinding, ServiceBinding, StateBinding } from '@isola/types';
import type pricer from '../pricer/src/index.js';
interface Env { GREETING: string; CART: StateBinding; LOCKS: LockBinding; VAULT: SecretBinding; PRICER: ServiceBinding<typeof pricer>; ANYONE: ServiceBinding; EVENTS: PubSubBinding; ORDERS: QueueBinding }
interface Order { sku: string; quantity: number; total(): number }
`;
const mistakes: Record<string, { source: string; errors: [code: string, message: string][] }> = {
  'a binding method that does not exist': {
    source: `export const f = (env: Env) => env.CART.set('k', 1);`,
    errors: [['TS2339', "Property 'set' does not exist on type 'StateBinding'"]],
  },
  'a key that is not a string': {
    source: `export const f = (env: Env) => env.CART.put(42, 'v');`,
    errors: [['TS2345', "Argument of type 'number' is not assignable to parameter of type 'string'"]],
  },
  'a state value JSON cannot carry': {
    source: `export const f = (env: Env) => env.CART.put('k', new Date());`,
    errors: [['TS2345', `Argument of type 'Date' is not assignable to parameter of type '"a Date (use date.toISOString()) cannot cross a binding as JSON"'`]],
  },
  'an interface with a method stored as state': {
    source: `export const f = (env: Env, order: Order) => env.CART.put('k', order);`,
    errors: [['TS2345', `Argument of type 'Order' is not assignable to parameter of type '{ sku: string; quantity: number; total: "a function cannot cross a binding as JSON"; }'`]],
  },
  'a value of unknown type stored as state': {
    source: `export const f = (env: Env, value: unknown) => env.CART.put('k', value);`,
    errors: [['TS2345', `Argument of type 'unknown' is not assignable to parameter of type '"a value of unknown type (check its type first) cannot cross a binding as JSON"'`]],
  },
  'a bigint sent to a queue': {
    source: `export const f = (env: Env) => env.ORDERS.send({ id: 10n });`,
    errors: [['TS2322', `Type 'bigint' is not assignable to type '"a bigint (write it as a string) cannot cross a binding as JSON"'`]],
  },
  'a batch message whose body is a Map': {
    source: `export const f = (env: Env) => env.ORDERS.sendBatch([{ body: 1 }, { body: new Map<string, number>() }]);`,
    errors: [['TS2345', "Argument of type '({ body: 1; } | { body: Map<string, number>; })[]' is not assignable to parameter of type 'Iterable<"]],
  },
  'a symbol published': {
    source: `export const f = (env: Env) => env.EVENTS.publish([Symbol('x')]);`,
    errors: [['TS2322', `Type 'symbol' is not assignable to type '"a symbol cannot cross a binding as JSON"'`]],
  },
  'a callback passed to an untyped service method': {
    source: `export const f = (env: Env) => env.ANYONE.notify('sku', () => 1);`,
    errors: [['TS2345', `Argument of type '() => number' is not assignable to parameter of type '"a function cannot cross a binding as JSON"'`]],
  },
  'a BindingError property that does not exist (the global narrows with instanceof)': {
    source: `export const f = (error: unknown) => error instanceof BindingError && error.status === 409;`,
    errors: [['TS2339', "Property 'status' does not exist on type 'BindingError'"]],
  },
  'a BindingError constructed with a code that does not exist': {
    source: `export const f = () => new BindingError('GONE', 'no such key', 'CART', 'get');`,
    errors: [['TS2345', `Argument of type '"GONE"' is not assignable to parameter of type 'BindingErrorCode'`]],
  },
  'a standalone scheduled handler using cron as a number': {
    source: `export const scheduled: ExportedHandlerScheduledHandler<Env> = (controller) => controller.cron * 2;`,
    errors: [['TS2362', 'The left-hand side of an arithmetic operation must be of type']],
  },
  'a lock option misspelt': {
    source: `export const f = (env: Env) => env.LOCKS.acquire('r', { ttl: 5 });`,
    errors: [['TS2353', "Object literal may only specify known properties, and 'ttl' does not exist"]],
  },
  'a secret used as a number': {
    source: `export const f = async (env: Env): Promise<number> => { const n: number = await env.VAULT.get('k'); return n; };`,
    errors: [['TS2322', "Type 'string' is not assignable to type 'number'"]],
  },
  'a service method called with too few arguments': {
    source: `export const f = (env: Env) => env.PRICER.quote('sku');`,
    errors: [['TS2554', 'Expected 2 arguments, but got 1']],
  },
  'a service call not awaited': {
    source: `export const f = (env: Env): number => env.PRICER.price('sku');`,
    errors: [['TS2322', "Type 'Promise<number>' is not assignable to type 'number'"]],
  },
  'fetch through a service binding': {
    source: `export const f = (env: Env) => env.PRICER.fetch;`,
    errors: [['TS2339', "Property 'fetch' does not exist on type 'TypedServiceBinding<"]],
  },
  'a BindingError code that does not exist': {
    source: `export const f = (error: BindingError) => error.code === 'ETAG_MISMATCHED';`,
    errors: [['TS2367', "This comparison appears to be unintentional because the types 'BindingErrorCode' and '\"ETAG_MISMATCHED\"' have no overlap"]],
  },
  'waitUntil given a function': {
    source: `export const f = (ctx: ExecutionContext) => ctx.waitUntil(async () => 1);`,
    errors: [['TS2345', "Argument of type '() => Promise<number>' is not assignable to parameter of type 'Promise<unknown>'"]],
  },
  'fetch returning a string': {
    source: `export default { fetch() { return 'hello'; } } satisfies ExportedHandler<Env>;`,
    errors: [['TS2322', "Type '() => string' is not assignable to type 'ExportedHandlerFetchHandler<Env>'"]],
  },
  'fetch resolving to a plain object': {
    source: `export default { async fetch(request: Request) { return { url: request.url }; } } satisfies ExportedHandler<Env>;`,
    errors: [['TS2322', "Type '(request: Request) => Promise<{ url: string; }>' is not assignable to type"]],
  },
  'scheduledTime used as a Date': {
    source: `export default { scheduled(controller) { return controller.scheduledTime.toISOString(); } } satisfies ExportedHandler<Env>;`,
    errors: [['TS2551', "Property 'toISOString' does not exist on type 'number'"]],
  },
  'a retry option misspelt': {
    source: `export default { queue(batch) { batch.messages[0]?.retry({ delay: 5 }); } } satisfies ExportedHandler<Env>;`,
    errors: [['TS2353', "Object literal may only specify known properties, and 'delay' does not exist in type 'QueueRetryOptions'"]],
  },
  'a queue body of the wrong type': {
    source: `export default { queue(batch) { const bodies: number[] = batch.messages.map((message) => message.body); return bodies; } } satisfies ExportedHandler<Env, string>;`,
    errors: [['TS2322', "Type 'string[]' is not assignable to type 'number[]'"]],
  },
  'an RPC method reading an env entry that does not exist': {
    source: `export default { read() { return this.env.MISSING; } } satisfies ExportedHandler<Env>;`,
    errors: [['TS2339', "Property 'MISSING' does not exist on type 'Env'"]],
  },
  'an RPC method calling a method not declared in Methods': {
    source: `export default { price() { return 1; }, quote() { return this.price(); } } satisfies ExportedHandler<Env>;`,
    errors: [['TS2339', "Property 'price' does not exist on type '{ readonly env: Env; readonly ctx: RpcContext; }'"]],
  },
  'caller metadata written to': {
    source: `export default { tag() { this.ctx.metadata['x'] = 'y'; } } satisfies ExportedHandler<Env>;`,
    errors: [['TS2542', "Index signature in type 'Readonly<Record<string, string>>' only permits reading"]],
  },
};

test('common mistakes are the expected tsc errors, and nothing else', async () => {
  const files = Object.fromEntries(Object.values(mistakes).map(({ source }, index) => [`mistakes/mistake-${index}.ts`, header + source]));
  const { errors, output } = await tsc('-p', writeCheck('mistakes', files));
  Object.entries(mistakes).forEach(([name, expected], index) => {
    const found = errors.filter((error) => error.file === `mistakes/mistake-${index}.ts`);
    assert.deepEqual(
      found.map((error) => error.code),
      expected.errors.map(([code]) => code),
      `${name}: ${JSON.stringify(found)}`,
    );
    found.forEach((error, at) => assert.ok(error.message.startsWith(expected.errors[at]?.[1] ?? ''), `${name}: ${error.message}`));
  });
  assert.equal(errors.filter((error) => !error.file.startsWith('mistakes/')).length, 0, output);
});

describe('the package and the runtime agree', () => {
  const runtimeBindings = readFileSync(join(runtimeSource, 'bindings', 'types.ts'), 'utf8');
  const packageTypes = readFileSync(join(packageDir, 'index.d.ts'), 'utf8');

  test('bindings/types.ts exports the binding API (the parse finds it)', () => {
    const names = [...exportedDeclarations(runtimeBindings).keys()];
    for (const name of ['JsonValue', 'JsonCompatible', 'BindingError', 'BindingErrorConstructor', 'BindingErrorCode', 'StateBinding', 'ServiceBinding', 'QueueBinding', 'BindingsByType', 'RemoteMethod']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
  });

  // Token for token rather than by type identity: two declarations of the same generic conditional
  // type (JsonCompatible<T> in put<T>()) are never identical to tsc, however alike they are.
  test('every binding declaration is the same in the package (comments and layout aside)', () => {
    assert.deepEqual(declarationDifferences(runtimeBindings, packageTypes), []);
  });

  test('a changed or missing declaration is caught (the check can fail)', () => {
    const changed = packageTypes
      .replace('getBulk<T = JsonValue>(keys: readonly string[])', 'getBulk<T = JsonValue>(keys: string[])')
      .replace(/export interface LockBinding \{[^}]*\}/, '')
      .replace("'a symbol'", "'a Symbol'");
    assert.deepEqual(
      declarationDifferences(runtimeBindings, changed).map((difference) => difference.split(':')[0]),
      ['JsonShape', 'StateBinding', 'LockBinding'],
    );
  });

  test('the handler arguments are interchangeable, and typed service bindings identical', async () => {
    const runtime = (path: string) => JSON.stringify(join(runtimeDeclarations, path));
    const source = `import type * as Runtime from ${runtime('bindings/types.js')};
import type { ExecutionContext } from ${runtime('execution-context.js')};
import type { ScheduledController } from ${runtime('scheduled-controller.js')};
import type { MessageBatch, QueueMessage } from ${runtime('message-batch.js')};
import type { RpcContext } from ${runtime('rpc-dispatch.js')};
import type * as Package from '@isola/types';

/** true when A and B are the same type (not merely assignable to each other). */
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Interchangeable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
interface Pricer { price(sku: string): number; quote(sku: string, quantity: number): Promise<{ total: number }> }

export type Checks = [
  Holds<Identical<Runtime.JsonValue, Package.JsonValue>>, // JsonValue
  Holds<Identical<Runtime.BindingError, Package.BindingError>>, // BindingError
  Holds<Identical<Runtime.ServiceBinding<Pricer>, Package.ServiceBinding<Pricer>>>, // ServiceBinding<Pricer>
  Holds<Identical<Runtime.RemoteMethod<Pricer['quote']>, Package.RemoteMethod<Pricer['quote']>>>, // RemoteMethod<quote>
  Holds<Interchangeable<ExecutionContext, Package.ExecutionContext>>, // ExecutionContext
  Holds<Interchangeable<RpcContext, Package.RpcContext>>, // RpcContext
  Holds<Interchangeable<ScheduledController, Package.ScheduledController>>, // ScheduledController
  Holds<Interchangeable<MessageBatch, Package.MessageBatch>>, // MessageBatch
  Holds<Interchangeable<QueueMessage, Package.Message>>, // Message
];
`;
    // skipLibCheck: the runtime's declarations assume the runtime's own globals, not the author's lib.
    const { errors, output } = await tsc('-p', writeCheck('drift', { 'drift/checks.ts': source }, { skipLibCheck: true }));
    assert.deepEqual(errors, [], `${output}\n${source}`);
  });

  test('a type difference is caught (the check can fail)', async () => {
    const source = `import type * as Runtime from ${JSON.stringify(join(runtimeDeclarations, 'bindings/types.js'))};
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Holds<T extends true> = T;
interface StateWithoutGetBulk { get: Runtime.StateBinding['get']; getWithEtag: Runtime.StateBinding['getWithEtag']; put: Runtime.StateBinding['put']; delete: Runtime.StateBinding['delete'] }
export type Checks = [Holds<Identical<Runtime.StateBinding, StateWithoutGetBulk>>];
`;
    const { errors } = await tsc('-p', writeCheck('drift-negative', { 'drift-negative/checks.ts': source }, { skipLibCheck: true }));
    assert.deepEqual(
      errors.map((error) => error.code),
      ['TS2344'],
    );
  });
});

/** The exported interfaces and type aliases of a source, by name, printed without comments. */
function exportedDeclarations(source: string): Map<string, string> {
  const file = ts.createSourceFile('declarations.ts', source, ts.ScriptTarget.ES2022, true);
  const printer = ts.createPrinter({ removeComments: true });
  const found = new Map<string, string>();
  for (const statement of file.statements) {
    if (!ts.isInterfaceDeclaration(statement) && !ts.isTypeAliasDeclaration(statement)) continue;
    if (!statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) continue;
    found.set(statement.name.text, printer.printNode(ts.EmitHint.Unspecified, statement, file));
  }
  return found;
}

/** `Name: how it differs` for every declaration of `runtime` that `pkg` lacks or declares otherwise. */
function declarationDifferences(runtime: string, pkg: string): string[] {
  const packageDeclarations = exportedDeclarations(pkg);
  return [...exportedDeclarations(runtime)].flatMap(([name, declaration]) => {
    const inPackage = packageDeclarations.get(name);
    if (inPackage === undefined) return [`${name}: missing from the package`];
    return inPackage === declaration ? [] : [`${name}: the package declares\n${inPackage}\nthe runtime declares\n${declaration}`];
  });
}
