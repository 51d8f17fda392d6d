import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packDeployArchive } from '@isola/core/testing';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// Every control-plane operation, for every kind of caller, against a live platform. The table
// below states what each route must demand, independently of the code: the live OpenAPI
// document has to list exactly the table's operations with the same roles, and every route has
// to answer every caller as the table says. A new route fails until it gets a row here.

type Role = 'admin' | 'deployer' | 'invoker';
const rank: Record<Role, number> = { invoker: 1, deployer: 2, admin: 3 };

interface Caller {
  label: string;
  /** The Authorization header sent; none when absent. */
  authorization?: string;
  /** null: the header does not carry a valid token. */
  role: Role | null;
  namespace: string | null;
}

/** What a request acts on. Every scoped caller is scoped to `shop`. */
interface Target {
  label: string;
  /** The function acted on (`{name}`, the deployed manifest's name, an invocation record's function). */
  fn: string;
  /** The namespace of a token created or revoked. */
  namespace: string;
  inShop: boolean;
}

interface CaseRequest {
  path: string;
  body?: unknown;
}

interface Operation {
  /** The least role the route must demand; null for routes anyone may call. */
  role: Role | null;
  /** The route acts on the function in its `{name}` path parameter: a caller scoped elsewhere gets 403. */
  scopedToFunction?: true;
  /** Routes whose target is not in the path: what a caller scoped elsewhere gets (404: the target is not revealed). */
  outsideTarget?: 403 | 404;
  /** The status of an allowed call. */
  ok: number;
  /** One valid request on the target; whatever it uses up is made anew here, with the platform admin token. */
  request(target: Target): CaseRequest | Promise<CaseRequest>;
}

const targets: Target[] = [
  { label: 'in namespace', fn: 'shop-cart', namespace: 'shop', inShop: true },
  { label: 'outside', fn: 'billing', namespace: 'billing', inShop: false },
  // Shares the namespace's prefix but not its dash: outside.
  { label: 'look-alike', fn: 'shopping', namespace: 'shopping', inShop: false },
];

let platform: SpawnedPlatform;
let callers: Caller[] = [];
/** A real invocation id per target function, from X-Isola-Invocation-Id. */
const invocationIds = new Map<string, string>();
let serial = 0;

const functionSource = { 'index.js': 'export default { fetch: () => new Response("ok"), ping: () => "pong" };' };

async function send(method: string, path: string, options: { authorization?: string; body?: unknown } = {}) {
  const { authorization, body } = options;
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (typeof body === 'string') headers['content-type'] = 'text/plain';
  else if (Buffer.isBuffer(body)) headers['content-type'] = 'application/gzip';
  else if (body !== undefined) headers['content-type'] = 'application/json';
  const encoded = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await fetch(`${platform.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: encoded }) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** As the platform admin; fails unless the answer has the status expected. */
async function admin(method: string, path: string, expected: number, body?: unknown) {
  const response = await send(method, path, { authorization: `Bearer ${platform.token}`, body });
  assert.equal(response.status, expected, `${method} ${path}: ${response.text}`);
  return response;
}

async function deploy(name: string) {
  await admin('POST', '/api/v1/functions', 201, { manifest: { name, main: 'index.js' }, files: functionSource });
}

async function createToken(name: string, role: Role, namespace?: string) {
  const response = await admin('POST', '/api/v1/tokens', 201, { name, role, ...(namespace === undefined ? {} : { namespace }) });
  return JSON.parse(response.text) as { id: string; token: string };
}

/** A function of the target's namespace with a schedule (one that does not fire during the run), deployed once. */
const cronFunctions = new Map<string, Promise<string>>();
function cronFunction(target: Target): Promise<string> {
  let deployed = cronFunctions.get(target.fn);
  if (deployed === undefined) {
    const name = `${target.fn}-cron`;
    deployed = admin('POST', '/api/v1/functions', 201, { manifest: { name, main: 'index.js', crons: ['0 0 1 1 *'] }, files: functionSource }).then(() => name);
    cronFunctions.set(target.fn, deployed);
  }
  return deployed;
}

function fresh(prefix: string): string {
  serial += 1;
  return `${prefix}-x${serial}`;
}

const documented: Record<string, Operation> = {
  'POST /api/v1/functions': {
    role: 'deployer',
    outsideTarget: 403,
    ok: 201,
    request: (target) => ({ path: '/api/v1/functions?promote=false', body: { manifest: { name: target.fn, main: 'index.js' }, files: functionSource } }),
  },
  'GET /api/v1/functions': { role: 'deployer', ok: 200, request: () => ({ path: '/api/v1/functions?stats=true' }) },
  'GET /api/v1/functions/{name}': { role: 'deployer', scopedToFunction: true, ok: 200, request: (target) => ({ path: `/api/v1/functions/${target.fn}?stats=true` }) },
  'DELETE /api/v1/functions/{name}': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 204,
    request: async (target) => {
      const name = fresh(target.fn);
      await deploy(name);
      return { path: `/api/v1/functions/${name}` };
    },
  },
  'GET /api/v1/functions/{name}/versions': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/versions` }),
  },
  'GET /api/v1/functions/{name}/versions/{version}': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/versions/1` }),
  },
  'PUT /api/v1/functions/{name}/aliases/{alias}': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/aliases/stable`, body: { version: 1 } }),
  },
  'POST /api/v1/functions/{name}/rollback': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: async (target) => {
      // A newer version each time, so there is always an older one to go back to.
      const name = `${target.fn}-rollback`;
      await deploy(name);
      return { path: `/api/v1/functions/${name}/rollback`, body: {} };
    },
  },
  'PUT /api/v1/functions/{name}/secrets/{key}': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 204,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/secrets/MATRIX_KEY`, body: { value: 's3cret' } }),
  },
  'DELETE /api/v1/functions/{name}/secrets/{key}': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 204,
    request: async (target) => {
      const path = `/api/v1/functions/${target.fn}/secrets/DOOMED_KEY`;
      await admin('PUT', path, 204, { value: 'doomed' });
      return { path };
    },
  },
  'POST /api/v1/tokens': {
    role: 'admin',
    outsideTarget: 403,
    ok: 201,
    request: (target) => ({ path: '/api/v1/tokens', body: { name: 'made-by-matrix', role: 'invoker', namespace: target.namespace } }),
  },
  'GET /api/v1/tokens': { role: 'admin', ok: 200, request: () => ({ path: '/api/v1/tokens' }) },
  // Any valid token: invoker is the least role.
  'GET /api/v1/tokens/current': { role: 'invoker', ok: 200, request: () => ({ path: '/api/v1/tokens/current' }) },
  'DELETE /api/v1/tokens/{id}': {
    role: 'admin',
    outsideTarget: 404,
    ok: 204,
    request: async (target) => ({ path: `/api/v1/tokens/${(await createToken('doomed', 'invoker', target.namespace)).id}` }),
  },
  'GET /api/v1/invocations/{id}': {
    role: 'deployer',
    outsideTarget: 404,
    ok: 200,
    request: (target) => ({ path: `/api/v1/invocations/${invocationIds.get(target.fn) ?? 'missing'}` }),
  },
  'GET /api/v1/functions/{name}/invocations': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/invocations?limit=5&since=0&until=${Date.now() + 60_000}` }),
  },
  'GET /api/v1/functions/{name}/logs': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/logs?level=info&limit=10` }),
  },
  'GET /api/v1/functions/{name}/metrics': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/metrics` }),
  },
  'POST /api/v1/functions/{name}/invoke': {
    role: 'invoker',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/invoke`, body: 'ping' }),
  },
  'POST /api/v1/functions/{name}/rpc/{method}': {
    role: 'invoker',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/rpc/ping`, body: [] }),
  },
  'POST /api/v1/topics/{topic}/messages': {
    role: 'invoker',
    outsideTarget: 403,
    ok: 202,
    request: (target) => ({ path: `/api/v1/topics/${target.fn}/messages`, body: 'hello' }),
  },
  'GET /api/v1/functions/{name}/crons': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 200,
    request: (target) => ({ path: `/api/v1/functions/${target.fn}/crons` }),
  },
  'POST /api/v1/functions/{name}/crons/run': {
    role: 'deployer',
    scopedToFunction: true,
    ok: 202,
    request: async (target) => ({ path: `/api/v1/functions/${await cronFunction(target)}/crons/run`, body: {} }),
  },
  'GET /api/v1/queues': { role: 'deployer', ok: 200, request: () => ({ path: '/api/v1/queues' }) },
  'POST /api/v1/queues/{queue}/dlq/redrive': {
    role: 'deployer',
    outsideTarget: 403,
    ok: 200,
    request: async (target) => {
      // The topic must exist (be known) for the redrive to find it.
      await admin('POST', `/api/v1/topics/${target.fn}/messages`, 202, 'made by the matrix');
      return { path: `/api/v1/queues/${target.fn}/dlq/redrive` };
    },
  },
  'GET /api/v1/cluster': { role: 'admin', ok: 200, request: () => ({ path: '/api/v1/cluster' }) },
  'GET /api/v1/schemas/manifest.json': { role: null, ok: 200, request: () => ({ path: '/api/v1/schemas/manifest.json' }) },
  'GET /api/v1/openapi.json': { role: null, ok: 200, request: () => ({ path: '/api/v1/openapi.json' }) },
};

/** Routes the document does not list, held to the same rules. */
const undocumented: Record<string, Operation> = {
  'GET /healthz': { role: null, ok: 200, request: () => ({ path: '/healthz' }) },
  'GET /readyz': { role: null, ok: 200, request: () => ({ path: '/readyz' }) },
  'GET /metrics': { role: null, ok: 200, request: () => ({ path: '/metrics' }) },
  // The HTTP trigger of a private function.
  'GET /fn/{name}/': { role: 'invoker', scopedToFunction: true, ok: 200, request: (target) => ({ path: `/fn/${target.fn}/` }) },
  // The web console: it signs in against the API itself.
  'GET /': { role: null, ok: 200, request: () => ({ path: '/' }) },
  'GET /console/{file}': { role: null, ok: 200, request: () => ({ path: '/console/assets/app-abc123.js' }) },
};

function expectedStatus(operation: Operation, caller: Caller, target: Target): number {
  if (operation.role === null) return operation.ok;
  if (caller.role === null) return 401;
  if (rank[caller.role] < rank[operation.role]) return 403;
  const outside = operation.scopedToFunction ? 403 : operation.outsideTarget;
  if (outside !== undefined && caller.namespace !== null && !target.inShop) return outside;
  return operation.ok;
}

const errorCodes: Record<number, string[]> = { 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 404: ['NOT_FOUND', 'FUNCTION_NOT_FOUND'] };

/** What is wrong with an error answer's format, if anything: `{"error": {"code", "message"}}` as JSON. */
function errorFormatProblem(response: { status: number; headers: Headers; text: string }): string | null {
  if (response.status < 400) return null;
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) return `content-type ${response.headers.get('content-type')}`;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(response.text) as typeof body;
  } catch {
    return 'body is not JSON';
  }
  const { code, message } = body.error ?? {};
  if (typeof code !== 'string' || typeof message !== 'string' || message === '') return 'no error.code and error.message';
  const expectedCodes = errorCodes[response.status];
  if (expectedCodes !== undefined && !expectedCodes.includes(code)) return `code ${code} for status ${response.status}`;
  return null;
}

async function checkOperation(key: string, operation: Operation): Promise<void> {
  const [method = ''] = key.split(' ');
  const hasTarget = operation.scopedToFunction === true || operation.outsideTarget !== undefined;
  const failures: string[] = [];
  for (const target of hasTarget ? targets : targets.slice(0, 1)) {
    for (const caller of callers) {
      const { path, body } = await operation.request(target);
      const response = await send(method, path, { authorization: caller.authorization, body });
      const expected = expectedStatus(operation, caller, target);
      const where = `${caller.label}${hasTarget ? ` on ${target.label} ${target.fn}` : ''}: ${method} ${path}`;
      if (response.status !== expected) failures.push(`${where}: expected ${expected}, got ${response.status} ${response.text.slice(0, 200)}`);
      const problem = errorFormatProblem(response);
      if (problem !== null) failures.push(`${where}: bad error format (${problem}): ${response.text.slice(0, 200)}`);
    }
  }
  assert.deepEqual(failures, [], `${key} answered some callers wrongly`);
}

let consoleDir: string;

before(async () => {
  consoleDir = mkdtempSync(join(tmpdir(), 'isola-matrix-console-'));
  mkdirSync(join(consoleDir, 'console', 'assets'), { recursive: true });
  writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app-abc123.js"></script>');
  writeFileSync(join(consoleDir, 'console', 'assets', 'app-abc123.js'), 'console.log("isola");');
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_CONSOLE_DIR: consoleDir } });
  for (const target of targets) {
    await deploy(target.fn);
    await deploy(`${target.fn}-rollback`);
  }
  const made = async (label: string, role: Role, namespace?: string): Promise<Caller> => ({
    label,
    authorization: `Bearer ${(await createToken(label, role, namespace)).token}`,
    role,
    namespace: namespace ?? null,
  });

  // Used once (so the gateway has it cached), then revoked: it must stop working at once.
  const revoked = await createToken('revoked', 'admin');
  assert.equal((await send('GET', '/api/v1/tokens', { authorization: `Bearer ${revoked.token}` })).status, 200);
  await admin('DELETE', `/api/v1/tokens/${revoked.id}`, 204);
  const started = performance.now();
  while ((await send('GET', '/api/v1/tokens', { authorization: `Bearer ${revoked.token}` })).status !== 401) {
    assert.ok(performance.now() - started < 1_000, 'a revoked token still worked after a second');
  }

  callers = [
    { label: 'no token', role: null, namespace: null },
    { label: 'basic auth', authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`, role: null, namespace: null },
    { label: 'garbage token', authorization: 'Bearer not-a-token', role: null, namespace: null },
    { label: 'forged token', authorization: `Bearer isola_0123456789ab_${'A'.repeat(32)}`, role: null, namespace: null },
    { label: 'revoked token', authorization: `Bearer ${revoked.token}`, role: null, namespace: null },
    await made('invoker', 'invoker'),
    await made('deployer', 'deployer'),
    await made('admin', 'admin'),
    await made('shop-invoker', 'invoker', 'shop'),
    await made('shop-deployer', 'deployer', 'shop'),
    await made('shop-admin', 'admin', 'shop'),
    { label: 'platform admin', authorization: `Bearer ${platform.token}`, role: 'admin', namespace: null },
  ];

  for (const target of targets) {
    const invoked = await admin('POST', `/api/v1/functions/${target.fn}/invoke`, 200, 'ping');
    const id = invoked.headers.get('x-isola-invocation-id');
    assert.ok(id !== null, 'an invocation id header');
    invocationIds.set(target.fn, id);
  }
  // Records are written off the hot path: wait until each can be read.
  for (const id of invocationIds.values()) {
    const waiting = performance.now();
    while ((await send('GET', `/api/v1/invocations/${id}`, { authorization: `Bearer ${platform.token}` })).status !== 200) {
      assert.ok(performance.now() - waiting < 5_000, `no record of invocation ${id} after 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});
after(async () => {
  await platform?.stop();
  if (consoleDir !== undefined) rmSync(consoleDir, { recursive: true, force: true });
});

describe('the OpenAPI document and the matrix', () => {
  test('list exactly the same operations, with the same roles and namespace scoping', async () => {
    const document = JSON.parse((await send('GET', '/api/v1/openapi.json')).text) as {
      paths: Record<string, Record<string, { description?: string; security?: unknown[] }>>;
    };
    const inDocument = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
    );
    assert.deepEqual(
      inDocument.map(({ key }) => key).filter((key) => documented[key] === undefined),
      [],
      'documented operations without a row in the role matrix',
    );
    assert.deepEqual(
      Object.keys(documented).filter((key) => !inDocument.some((entry) => entry.key === key)),
      [],
      'role-matrix rows the document does not list',
    );
    for (const { key, operation } of inDocument) {
      const row = documented[key];
      if (row === undefined) continue;
      if (row.role === null) {
        assert.deepEqual(operation.security, [], `${key} is documented as public`);
        continue;
      }
      const match = /^Needs a token with role (admin|deployer|invoker) or higher( whose namespace covers the function)?\.$/.exec(operation.description ?? '');
      assert.ok(match !== null, `${key}: description states the role needed: ${operation.description}`);
      assert.equal(match[1], row.role, `${key}: documented role`);
      assert.equal(match[2] !== undefined, row.scopedToFunction === true, `${key}: documented namespace scoping`);
    }
  });
});

describe('every operation answers every caller by role and namespace', () => {
  for (const [key, operation] of Object.entries(documented)) test(key, () => checkOperation(key, operation));
});

describe('routes outside the document', () => {
  for (const [key, operation] of Object.entries(undocumented)) test(key, () => checkOperation(key, operation));
});

function caller(label: string): Caller {
  const found = callers.find((entry) => entry.label === label);
  assert.ok(found !== undefined, `no caller ${label}`);
  return found;
}

function json<T>(response: { text: string }): T {
  return JSON.parse(response.text) as T;
}

describe('a namespace shows and reveals nothing beyond it', () => {
  test('a scoped deployer lists only its functions; a scoped admin only its tokens', async () => {
    const functions = json<{ functions: { name: string }[] }>(await send('GET', '/api/v1/functions', { authorization: caller('shop-deployer').authorization }));
    const names = functions.functions.map((entry) => entry.name);
    assert.ok(names.includes('shop-cart'), names.join());
    assert.deepEqual(names.filter((name) => name !== 'shop' && !name.startsWith('shop-')), []);

    const tokens = json<{ tokens: { namespace: string | null }[] }>(await send('GET', '/api/v1/tokens', { authorization: caller('shop-admin').authorization }));
    assert.ok(tokens.tokens.length >= 3);
    assert.deepEqual(tokens.tokens.filter((token) => token.namespace !== 'shop'), []);
    const all = json<{ tokens: { namespace: string | null }[] }>(await admin('GET', '/api/v1/tokens', 200));
    assert.ok(all.tokens.some((token) => token.namespace !== 'shop'), 'the platform admin sees the other tokens');
  });

  test('a scoped admin can neither create an unscoped token nor revoke one', async () => {
    const { authorization } = caller('shop-admin');
    const created = await send('POST', '/api/v1/tokens', { authorization, body: { name: 'escape', role: 'admin' } });
    assert.equal(created.status, 403, created.text);
    const other = await createToken('unscoped', 'invoker');
    const revoked = await send('DELETE', `/api/v1/tokens/${other.id}`, { authorization });
    assert.equal(revoked.status, 404, revoked.text);
    assert.equal((await send('POST', '/api/v1/functions/billing/invoke', { authorization: `Bearer ${other.token}`, body: 'ping' })).status, 200, 'the token still works');
  });

  test('outside the namespace a missing function is refused like an existing one', async () => {
    const { authorization } = caller('shop-deployer');
    for (const path of ['/api/v1/functions/billing', '/api/v1/functions/billing/versions', '/api/v1/functions/billing/logs']) {
      const existing = await send('GET', path, { authorization });
      const missing = await send('GET', path.replace('billing', 'billing-ghost'), { authorization });
      assert.deepEqual([existing.status, missing.status], [403, 403], path);
    }
    const invoked = await send('POST', '/api/v1/functions/billing-ghost/invoke', { authorization: caller('shop-invoker').authorization, body: 'ping' });
    assert.equal(invoked.status, 403, invoked.text);
  });

  test("another namespace's invocation record answers exactly like one never made", async () => {
    const { authorization } = caller('shop-deployer');
    const id = invocationIds.get('billing') ?? '';
    const hidden = await send('GET', `/api/v1/invocations/${id}`, { authorization });
    const never = await send('GET', '/api/v1/invocations/00000000-0000-4000-8000-000000000000', { authorization });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.text.replace(id, '<id>'), never.text.replace('00000000-0000-4000-8000-000000000000', '<id>'));
  });

  test('a tar.gz deploy is held to the namespace like a JSON one', async () => {
    const archive = (name: string) => packDeployArchive({ 'isola.yaml': `name: ${name}\nmain: index.js\n`, ...functionSource });
    const { authorization } = caller('shop-deployer');
    const inside = await send('POST', '/api/v1/functions?promote=false', { authorization, body: await archive('shop-cart') });
    assert.equal(inside.status, 201, inside.text);
    const outside = await send('POST', '/api/v1/functions?promote=false', { authorization, body: await archive('shopping') });
    assert.equal(outside.status, 403, outside.text);
  });
});
