import { z } from 'zod';
import {
  bundleFunction,
  defaultAlias,
  deployArchiveContentTypes,
  deployRequestSchema,
  dnsLabel,
  inNamespace,
  IsolaError,
  parseManifest,
  readDeployArchive,
  primaryVersion,
  targetVersions,
  maxSecretValueBytes,
  secretNamePattern,
  type AliasCache,
  type SecretStore,
  type FunctionStore,
  type FunctionMetricsReader,
  type FunctionVersion,
  type QueueClient,
  functionNotFound,
  functionQueueName,
} from '@isola/core';
import { defineRoute, type AnyRoute } from '../api/route-table.js';
import { authorize } from '../auth/bearer.js';
import type { HttpRouteTable } from '../trigger/http-route-table.js';
import { functionHealthSchema, functionStatsSchema, healthOf, statsOf } from './function-health.js';

export interface FunctionsApiDeps {
  store: FunctionStore;
  secrets: SecretStore;
  /** The last hour of each function, for `?stats=true`. */
  metrics: FunctionMetricsReader;
  /** Primed with each version deployed here, so its first request skips Redis. */
  functions: AliasCache;
  maxDeployBytes: number;
  /** The function's async queue goes with it on delete. */
  queues: QueueClient;
  /** Re-read here as soon as `latest` moves or a function goes, so this gateway's client sees its change at once. */
  routes: HttpRouteTable;
}

const nameParams = z.strictObject({ name: dnsLabel });
const aliasName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1-63 of a-z, 0-9 and -, starting with a letter');
const secretParams = z.strictObject({
  name: dnsLabel,
  key: z.string().regex(secretNamePattern, 'a secret name is 1-128 of A-Z, 0-9 and _, not starting with a digit, like an environment variable (STRIPE_KEY)'),
});
const versionNumber = z.number().int().min(1);
const versionParams = z.strictObject({
  name: dnsLabel,
  version: z
    .string()
    .regex(/^[1-9]\d{0,8}$/, 'a version number: 1, 2, 3, ... (GET /api/v1/functions/{name}/versions lists them)')
    .transform(Number),
});
const statsQuery = z.strictObject({
  stats: z.enum(['true', 'false']).default('false').describe('true: add `stats` (the last hour) and `health` to each function'),
});

const aliasTargetSchema = z.union([
  z.strictObject({ version: versionNumber }),
  z.strictObject({
    weights: z
      .record(z.string().regex(/^[1-9]\d{0,8}$/, 'keys are version numbers'), z.number().int().min(0).max(100))
      .refine((weights) => Object.keys(weights).length >= 1 && Object.keys(weights).length <= 10, 'must name 1 to 10 versions')
      .refine((weights) => Object.values(weights).reduce((sum, weight) => sum + weight, 0) === 100, 'weights must sum to 100'),
  }),
]);

const versionSchema = z.object({
  version: z.number(),
  codeHash: z.string(),
  createdAt: z.string(),
  author: z.string().nullable(),
});
const summarySchema = z.object({
  name: z.string(),
  version: z.number(),
  codeHash: z.string(),
  createdAt: z.string(),
  manifest: z.record(z.string(), z.unknown()),
  aliases: z.record(z.string(), z.unknown()),
  secrets: z.array(z.string()).describe('names of the secrets set (values are never returned)'),
  stats: functionStatsSchema.optional().describe('with ?stats=true: invocations, errors, cold starts and latency over the last hour'),
  health: functionHealthSchema.optional().describe('with ?stats=true'),
});
const versionDetailSchema = versionSchema.extend({
  name: z.string(),
  manifest: z.record(z.string(), z.unknown()),
  files: z.record(z.string(), z.string()).describe('the sources as uploaded, by path'),
});
const deployResponseSchema = z.object({ name: z.string(), version: z.number(), codeHash: z.string() });

const errors = {
  400: { description: 'invalid input; `problems` lists each one by path' },
  401: { description: 'no valid token' },
  403: { description: "the token's role or namespace does not allow this" },
};
const notFound = { 404: { description: 'no such function' } };

type FunctionSummary = Awaited<ReturnType<ReturnType<typeof summaryReader>>>;

/** Control-plane routes for functions, versions, aliases and secrets (SPEC §4). */
export function functionsApiRoutes(deps: FunctionsApiDeps): AnyRoute[] {
  const { store, secrets } = deps;
  const summary = summaryReader(deps);
  /** Other gateways follow the event; a failed read here is retried in the background. */
  const routesMoved = () => deps.routes.refresh().catch(() => deps.routes.refreshInBackground());

  /** Adds `stats` and `health` to summaries: two round trips to Redis however many there are. */
  const withStats = async (summaries: FunctionSummary[]) => {
    const names = summaries.map((entry) => entry.name);
    const [metrics, quarantined] = await Promise.all([deps.metrics.lastHourOfEach(names), store.quarantinedVersions(names)]);
    return summaries.map((entry) => {
      const hour = metrics.get(entry.name);
      if (hour === undefined) return entry;
      const latest = entry.aliases[defaultAlias];
      const serving = latest === undefined ? [] : targetVersions(latest);
      // A note left for another deploy of the same number (the function was deleted meanwhile) does not count.
      const refused = (quarantined.get(entry.name) ?? []).filter(
        (note) => serving.includes(note.version) && (note.version !== entry.version || note.codeHash === entry.codeHash),
      );
      return { ...entry, stats: statsOf(hour), health: healthOf(hour, refused) };
    });
  };

  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/functions',
      summary: 'Deploy a new version (JSON files map or a tar.gz holding isola.yaml and the sources)',
      tag: 'functions',
      role: 'deployer',
      query: z.strictObject({ promote: z.enum(['true', 'false']).default('true') }),
      body: deployRequestSchema,
      extraBodyTypes: [...deployArchiveContentTypes],
      decodeBody: (raw) => readDeployArchive(raw, { maxUnpackedBytes: deps.maxDeployBytes }),
      bodyLimit: deps.maxDeployBytes,
      responses: {
        201: { description: 'deployed', schema: deployResponseSchema },
        ...errors,
        409: { description: 'another function consumes one of its queues: topics or serves one of its routes: (promoted deploys)' },
        413: { description: 'body too large' },
      },
      handler: async ({ body, query, caller, reply }) => {
        const manifest = parseManifest(body.manifest);
        authorize(caller, 'deployer', manifest.name);
        const bundleStarted = performance.now();
        const bundle = await bundleFunction({ files: body.files, main: manifest.main });
        const storeStarted = performance.now();
        const promote = query.promote === 'true';
        const version = await store.deploy({ manifest, code: bundle.code, codeHash: bundle.codeHash, files: body.files, author: caller.name, promote });
        if (promote) {
          deps.functions.prime(version);
          // Most functions have no routes: then a deploy moves none and the table stays as it is
          // (a route another gateway gave it meanwhile still arrives with the deploy's event).
          if (manifest.routes.length > 0 || deps.routes.holds(manifest.name)) await routesMoved();
        }
        const stored = performance.now();
        reply.header('server-timing', `bundle;dur=${(storeStarted - bundleStarted).toFixed(2)};desc="esbuild", store;dur=${(stored - storeStarted).toFixed(2)};desc="redis"`);
        reply.request.log.info({ function: version.name, version: version.version, codeHash: version.codeHash, author: caller.name }, 'deployed');
        reply.code(201);
        return { name: version.name, version: version.version, codeHash: version.codeHash };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions',
      summary: 'List functions (those in the token’s namespace)',
      tag: 'functions',
      role: 'deployer',
      query: statsQuery,
      responses: { 200: { description: 'the functions', schema: z.object({ functions: z.array(summarySchema) }) }, ...errors },
      handler: async ({ caller, query }) => {
        const names = (await store.listNames()).filter((name) => inNamespace(name, caller.namespace));
        const found = (await Promise.all(names.map((name) => summary(name).catch(() => null)))).filter((entry) => entry !== null);
        return { functions: query.stats === 'true' ? await withStats(found) : found };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions/{name}',
      summary: 'Show a function: the version `latest` serves, its manifest and its aliases',
      tag: 'functions',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      query: statsQuery,
      responses: { 200: { description: 'the function', schema: summarySchema }, ...errors, ...notFound },
      handler: async ({ params, query }) => {
        const found = await summary(params.name);
        return query.stats === 'true' ? ((await withStats([found]))[0] ?? found) : found;
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/functions/{name}',
      summary: 'Delete a function, its versions, aliases, secrets and triggers; running invocations finish',
      tag: 'functions',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      responses: { 204: { description: 'deleted' }, ...errors, ...notFound },
      handler: async ({ params, reply }) => {
        if (!(await store.delete(params.name))) throw functionNotFound(params.name);
        await routesMoved();
        // Its waiting and dead async invocations go too: there is no code left to run them.
        await deps.queues.obliterate(functionQueueName(params.name));
        reply.code(204);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions/{name}/versions',
      summary: 'Versions, newest first, with who deployed them, when, and their code hash',
      tag: 'versions',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      responses: { 200: { description: 'the versions', schema: z.object({ versions: z.array(versionSchema) }) }, ...errors, ...notFound },
      handler: async ({ params }) => {
        const versions = await store.listVersions(params.name);
        if (versions.length === 0) throw functionNotFound(params.name);
        return { versions: versions.map(toVersionInfo) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions/{name}/versions/{version}',
      summary: 'One version: who deployed it and when, its code hash, its manifest and its sources as uploaded',
      tag: 'versions',
      role: 'deployer',
      scopedToFunction: true,
      params: versionParams,
      responses: { 200: { description: 'the version', schema: versionDetailSchema }, ...errors, 404: { description: 'no such function or version' } },
      handler: async ({ params }) => {
        const found = await store.getVersionWithFiles(params.name, params.version);
        if (found === null) {
          if (!(await store.exists(params.name))) throw functionNotFound(params.name);
          throw new IsolaError('NOT_FOUND', `function "${params.name}" has no version ${params.version}; GET /api/v1/functions/${params.name}/versions lists them`);
        }
        return { name: found.name, ...toVersionInfo(found), manifest: found.manifest, files: found.files };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/functions/{name}/aliases/{alias}',
      summary: 'Point an alias at a version, or split its traffic by weights summing to 100',
      tag: 'versions',
      role: 'deployer',
      scopedToFunction: true,
      params: z.strictObject({ name: dnsLabel, alias: aliasName }),
      body: aliasTargetSchema,
      responses: {
        200: { description: 'the alias now', schema: z.object({ alias: z.string(), target: aliasTargetSchema }) },
        ...errors,
        ...notFound,
        409: { description: 'latest: a version it would serve has a route another function serves' },
      },
      handler: async ({ params, body }) => {
        await store.setAlias(params.name, params.alias, body);
        if (params.alias === defaultAlias) await routesMoved();
        return { alias: params.alias, target: body };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/functions/{name}/rollback',
      summary: 'Point an alias (default latest) back at the previous version, or at a given one',
      tag: 'versions',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      body: z.strictObject({ version: versionNumber.optional(), alias: aliasName.default(defaultAlias) }),
      responses: {
        200: { description: 'rolled back', schema: z.object({ alias: z.string(), from: aliasTargetSchema, to: aliasTargetSchema }) },
        ...errors,
        ...notFound,
        409: { description: 'nothing older to roll back to, or (latest) a route of that version is served by another function now' },
      },
      handler: async ({ params, body }) => {
        const moved = await store.rollback(params.name, body.alias, body.version);
        if (body.alias === defaultAlias) await routesMoved();
        return { alias: body.alias, ...moved };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/functions/{name}/secrets/{key}',
      summary: 'Set a secret: encrypted at rest, the function sees it as env.KEY from its next instance on; never returned',
      tag: 'secrets',
      role: 'deployer',
      scopedToFunction: true,
      params: secretParams,
      body: z.strictObject({
        value: z
          .string()
          .min(1, 'must not be empty; to remove a secret, DELETE it')
          .refine((value) => Buffer.byteLength(value, 'utf8') <= maxSecretValueBytes, `must be at most ${maxSecretValueBytes} bytes (64 KiB) of UTF-8`),
      }),
      responses: { 204: { description: 'set' }, ...errors, ...notFound },
      handler: async ({ params, body, reply }) => {
        if (!(await store.exists(params.name))) throw functionNotFound(params.name);
        await secrets.put(params.name, params.key, body.value);
        reply.request.log.info({ function: params.name, secret: params.key }, 'secret set');
        reply.code(204);
        return undefined;
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/functions/{name}/secrets/{key}',
      summary: 'Remove a secret; the function no longer sees it from its next instance on',
      tag: 'secrets',
      role: 'deployer',
      scopedToFunction: true,
      params: secretParams,
      responses: { 204: { description: 'removed' }, ...errors, 404: { description: 'no such function or secret' } },
      handler: async ({ params, reply }) => {
        if (!(await store.exists(params.name))) throw functionNotFound(params.name);
        if (!(await secrets.delete(params.name, params.key))) {
          throw new IsolaError('NOT_FOUND', `function "${params.name}" has no secret named ${params.key}; GET /api/v1/functions/${params.name} lists its secret names`);
        }
        reply.request.log.info({ function: params.name, secret: params.key }, 'secret removed');
        reply.code(204);
        return undefined;
      },
    }),
  ];
}

/** Reads a function's summary: the version `latest` serves (the primary one when split), its manifest, aliases and secret names. */
function summaryReader({ store, secrets }: Pick<FunctionsApiDeps, 'store' | 'secrets'>) {
  return async (name: string) => {
    const aliases = await store.aliases(name);
    const latest = aliases[defaultAlias];
    const version = latest === undefined ? null : await store.getVersion(name, primaryVersion(latest));
    if (version === null) throw functionNotFound(name);
    const { codeHash, createdAt, manifest } = version;
    return { name, version: version.version, codeHash, createdAt, manifest, aliases, secrets: await secrets.names(name) };
  };
}

function toVersionInfo(version: FunctionVersion) {
  return { version: version.version, codeHash: version.codeHash, createdAt: version.createdAt, author: version.author ?? null };
}
