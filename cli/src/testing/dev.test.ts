// `isola dev` and `isola test` driven as a user runs them: the built CLI as a child process, with
// REDIS_URL unset and a PATH holding only node's folder (no redis-server to be found), on copies
// of the fixture folders in a temporary directory (outside the monorepo: no node_modules above).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { reapOnExit } from '@isola/core/testing';

const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../../fixtures/local/', import.meta.url));

/** The environment of a machine without Redis: no REDIS_URL, and nothing on PATH but node. */
function withoutRedis(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: dirname(process.execPath), NO_COLOR: '1' };
  delete env.REDIS_URL;
  delete env.FORCE_COLOR;
  return env;
}

interface Dev {
  url: string;
  child: ChildProcess;
  output(): string;
  errors(): string;
  /** Waits until the output (stdout and stderr) matches; fails after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Ctrl+C, and the exit code. */
  interrupt(): Promise<number | null>;
}

async function startDev(args: string[]): Promise<Dev> {
  const child = spawn(process.execPath, ['--no-node-snapshot', bin, 'dev', '--port', '0', ...args], { env: withoutRedis(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(reapOnExit(() => child.kill('SIGKILL')));
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(stdout + stderr)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`isola dev ${child.exitCode === null ? `printed no ${pattern} within ${timeoutMs} ms` : `exited with ${child.exitCode}`}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await waitFor(/Ready on (http:\/\/\S+)/);
  return {
    url: (/Ready on (http:\/\/\S+)/.exec(stdout) as RegExpExecArray)[1] as string,
    child,
    output: () => stdout,
    errors: () => stderr,
    waitFor,
    async interrupt() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

/** Calls `check` until it holds (a generous wait, no timing asserted). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const work = mkdtempSync(join(tmpdir(), 'isola-dev-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a fixture folder to change freely. */
function copyOf(fixture: string): string {
  const target = join(work, `${fixture}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(fixtures, fixture), target, { recursive: true });
  return target;
}

describe('isola dev', () => {
  let cart: string;
  let dev: Dev;

  before(async () => {
    cart = copyOf('cart-api');
    writeFileSync(join(cart, '.dev.vars'), '# local secrets\nAPI_KEY="sk_dev_42"\n');
    dev = await startDev([cart, '--persist', '--with', copyOf('order-queue')]);
  });
  after(async () => {
    if (dev.child.exitCode === null) await dev.interrupt();
  });

  it('says where it listens and what it offers', () => {
    assert.match(dev.output(), /cart-api v1 runs in the isolated-vm sandbox with in-memory components \(no Redis\), beside order-queue v1/);
    assert.match(dev.output(), /scheduled {2}POST \/__isola\/scheduled.*crons fire on schedule: "0 3 \* \* \*"/);
    assert.match(dev.output(), new RegExp(`state {6}saved to ${join(cart, '.isola', 'dev-state.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it("serves fetch at every path with the dev server's URL, keeps state across requests, prints each invocation", async () => {
    const created = await fetch(`${dev.url}/cart?id=9`, { method: 'POST', body: JSON.stringify({ sku: 'tea' }) });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('x-isola-version'), '1');
    await fetch(`${dev.url}/cart?id=9`, { method: 'POST', body: JSON.stringify({ sku: 'milk' }) });
    assert.deepEqual(await (await fetch(`${dev.url}/cart?id=9`)).json(), { items: ['tea', 'milk'] });
    const greeting = (await (await fetch(`${dev.url}/greeting`)).json()) as { url: string };
    assert.equal(greeting.url, `${dev.url}/greeting`);
    assert.deepEqual(await (await fetch(`${dev.url}/secret`)).json(), { keyLength: 9 });
    await dev.waitFor(/GET \/cart\?id=9 200 .*cart-api v1 .*\n {2}log {3}GET cart 9/);
    await dev.waitFor(/warn {2}the key is \[secret API_KEY redacted\]/);
  });

  it('runs scheduled on POST /__isola/scheduled', async () => {
    const response = await fetch(`${dev.url}/__isola/scheduled`, { method: 'POST' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { cron: string; result: { cleaned: number } };
    assert.deepEqual([body.cron, body.result.cleaned], ['0 3 * * *', 1]);
    const unknown = await fetch(`${dev.url}/__isola/scheduled?cron=${encodeURIComponent('* * * * *')}`, { method: 'POST' });
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /has no schedule "\* \* \* \* \*"; its schedules: \w+ \("0 3 \* \* \*"\)/);
  });

  it('delivers messages on POST /__isola/queue/{topic} to the function consuming the topic, and retries as the platform does', async () => {
    const one = await fetch(`${dev.url}/__isola/queue/orders`, { method: 'POST', body: JSON.stringify({ id: 1 }) });
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as { acked: string[] }).acked.length, 1);
    const batch = await fetch(`${dev.url}/__isola/queue/orders`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ body: { id: 2 }, id: 'second' }, { body: { id: 3, retry: 1 }, id: 'third' }] }),
    });
    assert.deepEqual(await batch.json(), { invocationId: batch.headers.get('x-isola-invocation-id'), acked: ['second'], retried: ['third'] });
    // Retried after the back-off (about a second): acked on its second delivery.
    await dev.waitFor(/queue orders \(1 message\) ok .*order-queue v1.*\n {2}log {3}order 3 attempt 2/);
    const refused = await fetch(`${dev.url}/__isola/queue/payments`, { method: 'POST', body: '{}' });
    assert.equal(refused.status, 400);
  });

  it('reloads a changed file, and keeps serving the last good version through a broken one', async () => {
    const source = join(cart, 'src', 'index.ts');
    const original = readFileSync(source, 'utf8');
    writeFileSync(source, original.replace('greeting: env.GREETING', 'greeting: `${env.GREETING}, edited`'));
    const greeting = async () => ((await (await fetch(`${dev.url}/greeting`)).json()) as { greeting: string }).greeting;
    await eventually(async () => (await greeting()) === 'hello, edited', 'the edit to show');
    await dev.waitFor(/Reloaded cart-api v2 in \d+ ms \(src\/index\.ts changed\)/);
    assert.deepEqual(await (await fetch(`${dev.url}/cart?id=9`)).json(), { items: ['tea', 'milk'] }, 'state is kept across reloads');

    writeFileSync(source, `${original}\nexport const broken = ;\n`);
    await dev.waitFor(/cart-api: the change does not build; still serving v2\. bundling failed, 1 problem:\n {2}src\/index\.ts:\d+:\d+: /);
    assert.equal(await greeting(), 'hello, edited');
    writeFileSync(join(cart, 'isola.yaml'), readFileSync(join(cart, 'isola.yaml'), 'utf8').replace('name: cart-api', 'name: Cart API'));
    await dev.waitFor(/still serving v2\. invalid manifest \(isola\.yaml\), 1 problem:\n {2}name: must be a DNS label/);
    assert.equal(await greeting(), 'hello, edited');
  });

  it('stops on Ctrl+C, and --persist brings the state back on the next start', async () => {
    assert.equal(await dev.interrupt(), 0);
    assert.match(dev.output(), /isola dev stopped\./);
    const saved = JSON.parse(readFileSync(join(cart, '.isola', 'dev-state.json'), 'utf8')) as { state: Record<string, Record<string, unknown>> };
    assert.ok(saved.state.statestore?.['cart-api||cart:9'] !== undefined, JSON.stringify(saved));
    const again = await startDev([copyWithState(cart), '--persist']);
    try {
      assert.deepEqual(await (await fetch(`${again.url}/cart?id=9`)).json(), { items: ['tea', 'milk'] });
    } finally {
      assert.equal(await again.interrupt(), 0);
    }
  });
});

/** A fresh copy of the cart fixture holding the state file a session saved in `folder`. */
function copyWithState(folder: string): string {
  const copy = copyOf('cart-api');
  cpSync(join(folder, '.isola'), join(copy, '.isola'), { recursive: true });
  return copy;
}

describe('isola dev refusals', () => {
  it('lists every problem of an invalid manifest and exits 1', () => {
    const folder = copyOf('cart-api');
    writeFileSync(join(folder, 'isola.yaml'), 'name: Bad Name\nmain: src/index.ts\nlimits: { timeoutMs: 1 }\n');
    const result = spawnSync(process.execPath, ['--no-node-snapshot', bin, 'dev', '--port', '0', folder], { env: withoutRedis(), encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /invalid manifest \(isola\.yaml\), 2 problems:\n {2}name: must be a DNS label.*\n {2}limits\.timeoutMs: /);
    assert.match(result.stderr, /Fix it and run isola dev again\./);
  });

  it('says what to do without isola.yaml, refuses a bad port as a usage error, and documents itself', () => {
    const empty = mkdtempSync(join(work, 'empty-'));
    const result = spawnSync(process.execPath, ['--no-node-snapshot', bin, 'dev', empty], { env: withoutRedis(), encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no isola\.yaml in .*: pass a function folder, or create one with "isola init"/);
    const badPort = spawnSync(process.execPath, ['--no-node-snapshot', bin, 'dev', empty, '--port', 'eighty'], { env: withoutRedis(), encoding: 'utf8' });
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /--port must be a port number \(0 to 65535\), not "eighty"\n\(run "isola dev --help"/);
    const help = spawnSync(process.execPath, [bin, 'dev', '--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /--persist \[file\]/);
    assert.match(help.stdout, /Examples:\n {2}isola dev /);
  });
});

describe('isola test', () => {
  const runTest = (folder: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--no-node-snapshot', bin, 'test', folder, ...args], { env: withoutRedis(), encoding: 'utf8', timeout: 120_000 });

  it('runs TypeScript tests that import @isola/cli/local from a folder without node_modules, and exits 0 when they pass', () => {
    const folder = copyOf('tested-greeter');
    assert.equal(existsSync(join(folder, 'node_modules')), false);
    const result = runTest(folder, '--reporter', 'spec');
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /Running 1 test file of .*: test\/greeter\.test\.ts \(TypeScript compiled into \.isola\/test\/\)/);
    assert.match(result.stdout, /✔ greets by name in the sandbox/);
    assert.match(result.stdout, /ℹ pass 2/);
  });

  it('exits 1 when a test fails, showing the failure', () => {
    const result = runTest(copyOf('failing-test'), '--reporter', 'spec');
    assert.equal(result.status, 1);
    assert.match(result.stdout, /✖ expects what the function does not answer/);
    assert.match(result.stdout, /'actual' !== 'expected'|\+ 'actual'/);
  });

  it('runs only the tests a pattern names', () => {
    const result = runTest(copyOf('tested-greeter'), '--reporter', 'spec', '-n', 'alone');
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /ℹ pass 1\n/);
  });

  it('says so when a folder has no tests', () => {
    const result = runTest(copyOf('pricer'));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no tests in .*: add files named \*\.test\.ts or \*\.test\.js/);
  });
});
