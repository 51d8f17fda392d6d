import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TokenStore } from '@isola/core';
import { startSidecar } from '@isola/sidecar';
import type { AdminToken } from './admin-token.js';
import type { PlatformContext } from './context.js';

export interface SidecarRole {
  url: string;
  port: number;
  setGatewayUrl(url: string): void;
}

/**
 * The sidecar (`isola sidecar`; `isola up` forks one, see sidecar-process.ts): the Dapr HTTP API
 * the functions' bindings call, with the components of ISOLA_SIDECAR_COMPONENTS, else of
 * <data dir>/components when that folder exists, else the defaults on the platform's Redis.
 */
export async function startSidecarRole(ctx: PlatformContext, adminToken: AdminToken): Promise<SidecarRole> {
  const { config } = ctx;
  const sidecar = await startSidecar({
    config,
    logger: ctx.logger,
    redisUrl: ctx.redisUrl,
    secretKey: ctx.secretKey,
    adminToken: adminToken.token,
    tokens: new TokenStore(ctx.redis),
    componentsDir: componentsDir(config.sidecarComponents, config.dataDir),
    gatewayUrl: config.gatewayUrl ?? `http://127.0.0.1:${config.port}`,
  });
  ctx.atStop(() => sidecar.close());
  return { url: sidecar.url, port: Number(new URL(sidecar.url).port), setGatewayUrl: (url) => sidecar.setGatewayUrl(url) };
}

function componentsDir(configured: string | undefined, dataDir: string): string | undefined {
  if (configured !== undefined) return configured;
  const inDataDir = join(dataDir, 'components');
  return existsSync(inDataDir) ? inDataDir : undefined;
}
