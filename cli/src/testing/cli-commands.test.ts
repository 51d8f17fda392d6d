// The platform commands (deploy, invoke, logs, list, versions, rollback, secret) driven as a user
// drives them: the built CLI as a child process, with ISOLA_URL and ISOLA_TOKEN, against a real
// `isola up`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '@isola/core';
import { cliFixtures, runCli, startCli, waitFor, type CliOptions, type CliResult } from './cli-runner.js';
import { eventually, TestApi } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

const zodFolder = join(cliFixtures, 'deploy/ts-with-zod');
let platform: SpawnedPlatform;
let api: TestApi;
let firstDeploy: CliResult;
const scratch = mkdtempSync(join(tmpdir(), 'isola-cli-test-'));

/** The CLI pointed at the test platform. */
const isola = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ISOLA_URL: platform.url, ISOLA_TOKEN: platform.token, ...options.env } });

function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, `exit code ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

before(async () => {
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
  api = new TestApi(platform.url, platform.token);
  firstDeploy = await isola(['deploy', zodFolder]);
});
after(async () => {
  await platform.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('deploy bundles a TypeScript folder with an npm dependency, shows progress and prints the URL and version', async () => {
  assertExit(firstDeploy, 0);
  assert.match(firstDeploy.stderr, /^Bundling src\/index\.ts… \d+\.\d (KiB|MiB) in \d+ ms$/m);
  assert.match(firstDeploy.stderr, /^Uploading \d+\.\d (KiB|MiB) to http:\/\/127\.0\.0\.1:\d+… \d+ ms$/m);
  assert.match(firstDeploy.stderr, /^Deployed cli-orders version 1 \([0-9a-f]{12}\) in \d/m);
  assert.equal(firstDeploy.stdout, `${platform.url}/fn/cli-orders/ (version 1)\n`);

  // zod runs inside the sandbox: its validation answers.
  const ok = await fetch(`${platform.url}/fn/cli-orders/`, { method: 'POST', body: JSON.stringify({ sku: 'A1', quantity: 3 }) });
  assert.deepEqual(await ok.json(), { sku: 'A1', total: 750 });
  const refused = await fetch(`${platform.url}/fn/cli-orders/`, { method: 'POST', body: JSON.stringify({ sku: 'a', quantity: 0 }) });
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), { problems: ['sku: a SKU such as A1', 'quantity: Too small: expected number to be >=1'] });

  // Stored: the bundle as main, the sources as written beside it (tests and node_modules left out).
  const version = await api.call('GET', '/api/v1/functions/cli-orders/versions/1');
  const stored = version.json as { manifest: { main: string }; files: Record<string, string> };
  assert.equal(stored.manifest.main, '.isola/bundle.js');
  assert.deepEqual(Object.keys(stored.files).sort(), ['.isola/bundle.js', 'package.json', 'src/index.ts', 'src/order.ts']);
  assert.equal(stored.files['src/index.ts'], readFileSync(join(zodFolder, 'src/index.ts'), 'utf8'));
  assert.match(stored.files['.isola/bundle.js'] ?? '', /^\/\/ Bundled by `isola deploy` from src\/index\.ts/);
  assert.match(stored.files['.isola/bundle.js'] ?? '', /ZodError/);
});

test('deploy --json prints name, version, code hash and URL; --no-promote leaves latest where it was', async () => {
  const deployed = await isola(['deploy', zodFolder, '--json']);
  assertExit(deployed, 0);
  const json = JSON.parse(deployed.stdout) as { name: string; version: number; codeHash: string; url: string };
  assert.deepEqual({ ...json, codeHash: json.codeHash.length }, { name: 'cli-orders', version: 2, codeHash: 64, url: `${platform.url}/fn/cli-orders/` });

  const parked = await isola(['deploy', zodFolder, '--no-promote', '--json']);
  assertExit(parked, 0);
  assert.equal((JSON.parse(parked.stdout) as { version: number }).version, 3);
  assert.match(parked.stderr, /Not promoted: .*isola rollback cli-orders --to 3/);
  const versions = await isola(['versions', 'cli-orders', '--json']);
  assertExit(versions, 0);
  const listed = JSON.parse(versions.stdout) as { aliases: Record<string, unknown>; versions: { version: number; aliases: string[] }[] };
  assert.deepEqual(listed.aliases, { latest: { version: 2 } });
  assert.deepEqual(
    listed.versions.map((entry) => [entry.version, entry.aliases]),
    [
      [3, []],
      [2, ['latest']],
      [1, []],
    ],
  );
  const table = await isola(['versions', 'cli-orders']);
  assert.match(table.stdout, /^VERSION\s+DEPLOYED\s+BY\s+CODE HASH\s+ALIASES$/m);
  assert.match(table.stdout, /^2\s+\d+s ago\s+admin\s+[0-9a-f]{12}\s+latest$/m);
});

test('rollback moves latest back a version, or to the one --to names, and prints from → to', async () => {
  const back = await isola(['rollback', 'cli-orders']);
  assertExit(back, 0);
  assert.equal(back.stdout, 'cli-orders latest: version 2 → version 1\n');
  const forward = await isola(['rollback', 'cli-orders', '--to', '3', '--json']);
  assertExit(forward, 0);
  assert.deepEqual(JSON.parse(forward.stdout), { name: 'cli-orders', alias: 'latest', from: { version: 1 }, to: { version: 3 } });
  const served = await fetch(`${platform.url}/fn/cli-orders/`);
  assert.equal(served.headers.get('x-isola-version'), '3');
  const bad = await isola(['rollback', 'cli-orders', '--to', 'three']);
  assertExit(bad, 2);
  assert.match(bad.stderr, /--to takes a version number/);
});

test('deploy refuses a folder that imports node:fs, naming the importing file', async () => {
  const result = await isola(['deploy', join(cliFixtures, 'deploy/imports-node-fs')]);
  assertExit(result, 1);
  assert.match(result.stderr, /^Bundling src\/index\.ts… failed$/m);
  assert.match(result.stderr, /^ {2}src\/config\.ts:1:\d+: imports "node:fs", a Node\.js built-in module: functions run in a V8 isolate without Node APIs/m);
  assert.equal(result.stdout, '');
  assert.equal((await api.call('GET', '/api/v1/functions/cli-reads-files')).status, 404);
});

test('deploy of an invalid manifest lists every problem on its own line and exits 1', async () => {
  const result = await isola(['deploy', join(cliFixtures, 'deploy/invalid-manifest')]);
  assertExit(result, 1);
  assert.match(result.stderr, /^isola: invalid manifest \(isola\.yaml\), 3 problems:$/m);
  assert.match(result.stderr, /^ {2}name: must be a DNS label/m);
  assert.match(result.stderr, /^ {2}limits\.memoryMb: .*16/m);
  assert.match(result.stderr, /^ {2}colour: unknown field$/m);
  const missing = await isola(['deploy', scratch]);
  assertExit(missing, 1);
  assert.match(missing.stderr, /no isola\.yaml in .*: run "isola init" there/);
});

test('invoke sends --data, --file or piped standard input to the fetch handler and prints the body', async () => {
  const data = await isola(['invoke', 'cli-orders', '--data', '{"sku":"A1","quantity":3}']);
  assertExit(data, 0);
  assert.equal(data.stdout, '{"sku":"A1","total":750}');
  assert.equal(data.stderr, '');

  const file = join(scratch, 'order.json');
  writeFileSync(file, '{"sku":"B2","quantity":2}');
  const fromFile = await isola(['invoke', 'cli-orders', '--file', file]);
  assertExit(fromFile, 0);
  assert.equal(fromFile.stdout, '{"sku":"B2","total":500}');

  const piped = await isola(['invoke', 'cli-orders'], { input: '{"sku":"C3","quantity":1}\n' });
  assertExit(piped, 0);
  assert.equal(piped.stdout, '{"sku":"C3","total":250}');

  const verbose = await isola(['invoke', 'cli-orders', '-d', '{"sku":"A1","quantity":1}', '-v']);
  assert.match(verbose.stderr, /^HTTP 200 OK in \d+ ms · version 3 · (warm|cold start) · invocation [0-9a-f-]{36}$/m);
});

test('invoke --path and --method reach the HTTP trigger; a 4xx is shown on stderr and exits 0, a function error exits 1', async () => {
  const get = await isola(['invoke', 'cli-orders', '--path', '/items/7?q=blue']);
  assertExit(get, 0);
  assert.deepEqual(JSON.parse(get.stdout), { path: '/fn/cli-orders/items/7', query: 'blue', apiKeyLength: null });

  const refused = await isola(['invoke', 'cli-orders', '-X', 'POST', '--path', '/', '-d', '{"sku":"nope","quantity":1}']);
  assertExit(refused, 0);
  assert.match(refused.stderr, /^HTTP 400 Bad Request in /m);
  assert.deepEqual(JSON.parse(refused.stdout), { problems: ['sku: a SKU such as A1'] });

  const thrown = await isola(['invoke', 'cli-orders', '-d', '{"sku":"X0","quantity":1}']);
  assertExit(thrown, 1);
  assert.match(thrown.stderr, /^HTTP 502 Bad Gateway/m);
  assert.match(thrown.stderr, /isola: the function failed: FUNCTION_ERROR: X0 is not for sale \(invocation [0-9a-f-]{36}; `isola logs cli-orders --invocation/);

  const unknown = await isola(['invoke', 'no-such-function']);
  assertExit(unknown, 1);
  assert.match(unknown.stderr, /no function named "no-such-function"/);
});

test('invoke --json prints status, headers, body, invocation id, cold start and version', async () => {
  const result = await isola(['invoke', 'cli-orders', '-d', '{"sku":"A1","quantity":2}', '--json']);
  assertExit(result, 0);
  const json = JSON.parse(result.stdout) as { status: number; headers: Record<string, string>; body: string; invocationId: string; coldStart: boolean; version: number };
  assert.equal(json.status, 200);
  assert.equal(json.body, '{"sku":"A1","total":500}');
  assert.equal(json.version, 3);
  assert.equal(typeof json.coldStart, 'boolean');
  assert.equal(json.headers['x-isola-invocation-id'], json.invocationId);
  assert.match(json.headers['content-type'] ?? '', /application\/json/);
});

test('invoke --async prints the invocation id; --wait polls it to the end', async () => {
  const queued = await isola(['invoke', 'cli-orders', '--async', '-d', '{"sku":"D4","quantity":1}']);
  assertExit(queued, 0);
  const id = queued.stdout.trim();
  assert.match(id, /^[0-9a-f-]{36}$/);
  const record = await api.finalRecord(id);
  assert.equal(record.status, 'succeeded');

  const waited = await isola(['invoke', 'cli-orders', '--async', '--wait', '-d', '{"sku":"E5","quantity":4}']);
  assertExit(waited, 0);
  assert.equal(waited.stdout, '{"sku":"E5","total":1000}');
  assert.match(waited.stderr, /^Queued invocation [0-9a-f-]{36}; waiting/m);

  const failing = await isola(['invoke', 'cli-orders', '--wait', '--json', '-d', '{"sku":"X0","quantity":1}']);
  assertExit(failing, 1);
  const json = JSON.parse(failing.stdout) as { state: string; attempts: number; error: { code: string } };
  assert.equal(json.state, 'failed');
  assert.equal(json.error.code, 'FUNCTION_ERROR');
  assert.ok(json.attempts >= 1);
  assert.match(failing.stderr, /isola: invocation [0-9a-f-]{36} failed after \d+ tr(y|ies): FUNCTION_ERROR: X0 is not for sale/);
});

test('invoke --rpc calls a method with --args and prints its JSON result', async () => {
  const result = await isola(['invoke', 'cli-orders', '--rpc', 'quote', '--args', '["C3", 4]']);
  assertExit(result, 0);
  assert.deepEqual(JSON.parse(result.stdout), { sku: 'C3', price: 1000 });
  const missing = await isola(['invoke', 'cli-orders', '--rpc', 'discount']);
  assertExit(missing, 1);
  assert.match(missing.stderr, /RPC_METHOD_NOT_FOUND: .*quote/);
  const notArray = await isola(['invoke', 'cli-orders', '--rpc', 'quote', '--args', '{"sku":"C3"}']);
  assertExit(notArray, 2);
  assert.match(notArray.stderr, /--args must be a JSON array/);
});

test('invoke --path sends the token only when the platform asks for it', async () => {
  const folder = join(scratch, 'auth-echo');
  mkdirSync(join(folder, 'src'), { recursive: true });
  writeFileSync(join(folder, 'src/index.js'), "export default { fetch: (request) => new Response(request.headers.get('authorization') ?? 'no authorization header') };\n");
  for (const visibility of [true, false]) {
    writeFileSync(join(folder, 'isola.yaml'), `name: cli-auth-echo\nmain: src/index.js\npublic: ${visibility}\n`);
    assertExit(await isola(['deploy', folder]), 0);
    const result = await isola(['invoke', 'cli-auth-echo', '--path', '/']);
    assertExit(result, 0);
    // A public function never sees the token; a private one gets it checked and removed by the gateway.
    assert.equal(result.stdout, 'no authorization header', `public: ${visibility}`);
  }
});

test('logs prints HH:MM:SS.mmm LEVEL [inv8] message lines, filtered by level, text and invocation; --json one object per line', async () => {
  const invoked = await isola(['invoke', 'cli-orders', '-d', '{"sku":"L1","quantity":1}', '--json']);
  const { invocationId } = JSON.parse(invoked.stdout) as { invocationId: string };
  const lines = await isola(['logs', 'cli-orders', '--search', 'order L1']);
  assertExit(lines, 0);
  assert.match(lines.stdout, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} LOG {3}\\[${invocationId.slice(0, 8)}\\] order L1 x1$`, 'm'));

  const warnings = await isola(['logs', 'cli-orders', '--level', 'warn', '--since', '1h']);
  assertExit(warnings, 0);
  const warningLines = warnings.stdout.trim().split('\n');
  assert.ok(warningLines.length >= 1, warnings.stdout);
  for (const line of warningLines) assert.match(line, /^\S+ (WARN |ERROR) \[/);

  const one = await isola(['logs', 'cli-orders', '--invocation', invocationId, '--json']);
  assertExit(one, 0);
  const parsed = one.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { invocationId: string; message: string; level: string });
  assert.deepEqual(
    parsed.map((line) => [line.invocationId, line.level, line.message]),
    [[invocationId, 'log', 'order L1 x1']],
  );

  const badLevel = await isola(['logs', 'cli-orders', '--level', 'loud']);
  assertExit(badLevel, 2);
  assert.match(badLevel.stderr, /--level must be one of debug, log, info, warn, error/);
});

test('logs --follow prints new lines as they are written, until Ctrl+C', async () => {
  const follower = startCli(['logs', 'cli-orders', '--follow'], { env: { ISOLA_URL: platform.url, ISOLA_TOKEN: platform.token } });
  try {
    await waitFor('the tail opening', () => follower.output().stderr, 'Following the logs of cli-orders (Ctrl+C to stop)');
    const marker = `/followed-${Date.now()}`;
    assert.equal((await fetch(`${platform.url}/fn/cli-orders${marker}`)).status, 200);
    await waitFor('the new line', () => follower.output().stdout, new RegExp(`^\\S+ LOG {3}\\[[0-9a-f]{8}\\] GET /fn/cli-orders${marker}$`, 'm'));
  } finally {
    follower.kill('SIGINT');
  }
  assert.equal(await follower.exited, 0);
});

test('list shows each function with its version, triggers, last hour and health; --json gives the summaries', async () => {
  const table = await isola(['list']);
  assertExit(table, 0);
  assert.match(table.stdout, /^NAME\s+VERSION\s+TRIGGERS\s+INVOCATIONS 1H\s+ERRORS 1H\s+HEALTH$/m);
  assert.match(table.stdout, /^cli-orders\s+3\s+http \(public\)\s+\d+\s+\d+\s+(healthy|degraded|failing)$/m);
  const json = await isola(['list', '--json']);
  assertExit(json, 0);
  const functions = JSON.parse(json.stdout) as { name: string; version: number; stats: { invocations: number }; health: { status: string } }[];
  const orders = functions.find((fn) => fn.name === 'cli-orders');
  assert.equal(orders?.version, 3);
  assert.ok((orders?.stats.invocations ?? 0) > 0);
  assert.equal(typeof orders?.health.status, 'string');
});

test('secret put takes the value from standard input (one trailing newline dropped), list shows names only, delete removes it', async () => {
  const put = await isola(['secret', 'put', 'cli-orders', 'API_KEY'], { input: 's3cret\n' });
  assertExit(put, 0);
  assert.ok(!put.stdout.includes('s3cret') && !put.stderr.includes('s3cret'), 'the value is never echoed');
  // The function's instances are replaced once the platform hears of the change.
  await eventually('the function seeing the secret', async () => {
    const seen = (await (await fetch(`${platform.url}/fn/cli-orders/`)).json()) as { apiKeyLength: number | null };
    return seen.apiKeyLength === null ? null : seen.apiKeyLength;
  }).then((length) => assert.equal(length, 6));

  const list = await isola(['secret', 'list', 'cli-orders']);
  assert.equal(list.stdout, 'API_KEY\n');
  const json = await isola(['secret', 'list', 'cli-orders', '--json']);
  assert.deepEqual(JSON.parse(json.stdout), { name: 'cli-orders', secrets: ['API_KEY'] });

  const empty = await isola(['secret', 'put', 'cli-orders', 'OTHER_KEY']);
  assertExit(empty, 1);
  assert.match(empty.stderr, /no value given for OTHER_KEY: pipe it in/);
  const badName = await isola(['secret', 'put', 'cli-orders', 'api-key'], { input: 'x' });
  assertExit(badName, 2);

  const deleted = await isola(['secret', 'delete', 'cli-orders', 'API_KEY', '--json']);
  assertExit(deleted, 0);
  assert.deepEqual(JSON.parse(deleted.stdout), { name: 'cli-orders', key: 'API_KEY', deleted: true });
  assert.deepEqual(JSON.parse((await isola(['secret', 'list', 'cli-orders', '--json'])).stdout), { name: 'cli-orders', secrets: [] });
});

test('a refused token exits 1 saying where the token came from and what to set', async () => {
  const fromEnv = await runCli(['list'], { env: { ISOLA_URL: platform.url, ISOLA_TOKEN: 'isola_not-a-real-token' } });
  assertExit(fromEnv, 1);
  assert.match(fromEnv.stderr, /^isola: the token was refused: .*\(the token came from ISOLA_TOKEN\); set --token or ISOLA_TOKEN$/m);

  // Without --token or ISOLA_TOKEN: the admin token `isola up` stored, found from a subfolder.
  const project = join(scratch, 'project');
  mkdirSync(join(project, '.isola'), { recursive: true });
  mkdirSync(join(project, 'functions/a'), { recursive: true });
  writeFileSync(join(project, '.isola/admin-token'), `${platform.token}\n`);
  const fromFile = await runCli(['list', '--json'], { env: { ISOLA_URL: platform.url }, cwd: join(project, 'functions/a') });
  assertExit(fromFile, 0);
  writeFileSync(join(project, '.isola/admin-token'), 'isola_stale\n');
  const stale = await runCli(['list'], { env: { ISOLA_URL: platform.url }, cwd: join(project, 'functions/a') });
  assertExit(stale, 1);
  assert.match(stale.stderr, new RegExp(`the token came from the file ${join(project, '.isola/admin-token').replace(/[.]/g, '\\.')}`));

  const none = await runCli(['list'], { env: { ISOLA_URL: platform.url } });
  assertExit(none, 1);
  assert.match(none.stderr, /^isola: no token: set --token or ISOLA_TOKEN/m);

  const invoker = await api.call('POST', '/api/v1/tokens', { name: 'cli-invoker', role: 'invoker' });
  const forbidden = await runCli(['versions', 'cli-orders', '--token', (invoker.json as { token: string }).token], { env: { ISOLA_URL: platform.url } });
  assertExit(forbidden, 1);
  assert.match(forbidden.stderr, /^isola: not allowed: the token "cli-invoker" has role invoker; this needs deployer or higher/m);
});

test('an unreachable platform exits 1 saying to start it or set --url', async () => {
  const port = await freePort();
  const result = await runCli(['list'], { env: { ISOLA_URL: `http://127.0.0.1:${port}`, ISOLA_TOKEN: 'x' } });
  assertExit(result, 1);
  assert.match(result.stderr, new RegExp(`^isola: cannot reach the platform at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): is \`isola up\` running\\? set --url or ISOLA_URL$`, 'm'));
  const deploy = await runCli(['deploy', zodFolder, '--url', `http://127.0.0.1:${port}`]);
  assertExit(deploy, 1);
  assert.match(deploy.stderr, /Uploading .*… failed\nisola: cannot reach the platform/);
});
