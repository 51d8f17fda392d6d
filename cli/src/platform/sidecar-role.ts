import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IsolaError, resolveSecretKey, type Config, type Logger } from '@isola/core';
import { startSidecar, type Sidecar } from '@isola/sidecar';
import type { AdminToken } from './admin-token.js';

/**
 * The sidecar (`isola sidecar`; `isola up` forks one, see sidecar-process.ts): the Dapr HTTP API
 * the functions' bindings call, with the components of ISOLA_SIDECAR_COMPONENTS, else of
 * <data dir>/components when that folder exists, else the defaults on the platform's Redis. It
 * makes its own Redis connections (components, manifests, tokens, events): it needs none of the
 * other roles' shared parts.
 */
export async function startSidecarRole(config: Config, logger: Logger, adminToken: AdminToken): Promise<Sidecar> {
  if (config.redisUrl === undefined) {
    throw new IsolaError('BAD_REQUEST', 'isola sidecar needs REDIS_URL: the Redis of the platform whose functions it serves (`isola up` starts its own sidecar)');
  }
  return startSidecar({
    config,
    logger,
    redisUrl: config.redisUrl,
    secretKey: resolveSecretKey(config),
    adminToken: adminToken.token,
    componentsDir: componentsDir(config.sidecarComponents, config.dataDir),
    gatewayUrl: config.gatewayUrl ?? `http://127.0.0.1:${config.port}`,
  });
}

function componentsDir(configured: string | undefined, dataDir: string): string | undefined {
  if (configured !== undefined) return configured;
  const inDataDir = join(dataDir, 'components');
  return existsSync(inDataDir) ? inDataDir : undefined;
}
