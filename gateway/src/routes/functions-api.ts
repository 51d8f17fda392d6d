import type { FastifyInstance } from 'fastify';
import {
  bundleFunction,
  deployRequestSchema,
  IsolaError,
  manifestJsonSchema,
  parseManifest,
  type DeployResponse,
  type FunctionStore,
  type FunctionSummary,
  type FunctionVersion,
  type LatestVersionCache,
} from '@isola/core';
import type { BearerAuth } from '../auth/bearer.js';

export interface FunctionsApiDeps {
  store: FunctionStore;
  /** Primed with each version deployed here, so its first request skips Redis. */
  functions: LatestVersionCache;
  auth: BearerAuth;
  maxDeployBytes: number;
}

/** Control-plane routes for functions (SPEC §4): deploy, list, show; the manifest schema. */
export function registerFunctionsApi(app: FastifyInstance, deps: FunctionsApiDeps): void {
  const { store, auth } = deps;

  app.get('/api/v1/schemas/manifest.json', async () => manifestJsonSchema());

  app.register(async (api) => {
    api.addHook('onRequest', async (request) => auth.require(request));

    api.post('/api/v1/functions', { bodyLimit: deps.maxDeployBytes }, async (request, reply) => {
      const parsed = deployRequestSchema.safeParse(request.body);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
        throw new IsolaError(
          'BAD_REQUEST',
          `the deploy body must be {"manifest": {...}, "files": {"path": "source"}}: ${problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`,
          { problems },
        );
      }
      const manifest = parseManifest(parsed.data.manifest);
      const bundleStarted = performance.now();
      const bundle = await bundleFunction({ files: parsed.data.files, main: manifest.main });
      const storeStarted = performance.now();
      const version = await store.deploy({ manifest, code: bundle.code, codeHash: bundle.codeHash, files: parsed.data.files });
      deps.functions.prime(version);
      const stored = performance.now();
      reply.header('server-timing', `bundle;dur=${(storeStarted - bundleStarted).toFixed(2)};desc="esbuild", store;dur=${(stored - storeStarted).toFixed(2)};desc="redis"`);
      request.log.info({ function: version.name, version: version.version, codeHash: version.codeHash }, 'deployed');
      const body: DeployResponse = { name: version.name, version: version.version, codeHash: version.codeHash };
      return reply.code(201).send(body);
    });

    api.get('/api/v1/functions', async () => {
      const names = await store.listNames();
      const versions = await Promise.all(names.map((name) => store.getLatest(name)));
      return { functions: versions.filter((version): version is FunctionVersion => version !== null).map(toSummary) };
    });

    api.get<{ Params: { name: string } }>('/api/v1/functions/:name', async (request) => {
      const version = await store.getLatest(request.params.name);
      if (version === null) throw functionNotFound(request.params.name);
      return toSummary(version);
    });
  });
}

export function functionNotFound(name: string): IsolaError {
  return new IsolaError('FUNCTION_NOT_FOUND', `no function named "${name}" is deployed; deploy it with POST /api/v1/functions (or isola deploy)`);
}

function toSummary(version: FunctionVersion): FunctionSummary {
  const { name, codeHash, createdAt, manifest } = version;
  return { name, version: version.version, codeHash, createdAt, manifest };
}
