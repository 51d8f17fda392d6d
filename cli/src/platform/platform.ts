import { freePort, type Config, type Logger } from '@isola/core';
import { resolveAdminToken, type AdminToken } from './admin-token.js';
import { createPlatformContext } from './context.js';
import { startGatewayRole } from './gateway-role.js';
import { startSchedulerRole } from './scheduler-role.js';
import { SidecarProcess } from './sidecar-process.js';
import { startWorkerRole } from './worker-role.js';

/** The roles one process runs; `isola up` runs them all, `isola gateway` etc. one each. */
export interface Roles {
  gateway: boolean;
  worker: boolean;
  /** The cron trigger. */
  scheduler: boolean;
}

export const allRoles: Roles = { gateway: true, worker: true, scheduler: true };

export interface RunningPlatform {
  /** Base URL of the gateway, e.g. http://127.0.0.1:8080 (when this process runs one). */
  url: string | null;
  /** Where the gRPC trigger listens, host:port (when this process runs a gateway). */
  grpcAddress: string | null;
  /** Whether the gateway serves a built web console at `/` (false without a gateway). */
  consoleServed: boolean;
  /** The worker node's id and URL (when this process runs one). */
  node: { id: string; url: string } | null;
  adminToken: AdminToken | null;
  redisUrl: string;
  /** The sidecar `isola up` started (null for a single role). */
  sidecarUrl: string | null;
  /** Stops every part, in reverse order of start. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * For an exit that cannot wait (a second signal): signals the processes that would outlive
   * this one — the private redis-server. Workers end by themselves when their parent goes.
   */
  kill(): void;
}

/**
 * Starts the given roles in this process, sharing one set of Redis connections. With every
 * role and no REDIS_URL it is `isola up`: a private Redis under the data directory too.
 */
export async function startPlatform(config: Config, logger: Logger, roles: Roles = allRoles): Promise<RunningPlatform> {
  const role = roles.gateway && roles.worker && roles.scheduler ? 'up' : roles.gateway ? 'gateway' : roles.worker ? 'worker' : 'scheduler';
  const adminToken = roles.gateway ? resolveAdminToken(config.adminToken, config.dataDir) : null;
  const ctx = await createPlatformContext(config, logger, { role, privateRedisAllowed: role === 'up' });
  let stopped: Promise<void> | null = null;
  const stop = () => (stopped ??= ctx.stop());
  try {
    // `isola up` runs the sidecar as a process of its own, started before the worker processes
    // (they are told its URL) and stopped after them (steps stop last-in, first-out).
    // It starts beside the worker node rather than before it: its URL is known up front.
    const sidecar = role === 'up' ? await sidecarProcess(ctx.redisUrl, config, logger) : null;
    if (sidecar !== null) ctx.atStop(() => sidecar.process.stop());
    const sidecarStarted = sidecar?.process.start();
    sidecarStarted?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const worker = roles.worker ? await startWorkerRole(ctx, sidecar?.url) : null;
    if (roles.scheduler) await startSchedulerRole(ctx);
    const gateway =
      adminToken !== null ? await startGatewayRole(ctx, adminToken, worker === null ? undefined : { id: worker.nodeId, invoker: worker.scheduler }) : null;
    await sidecarStarted;
    if (sidecar !== null && gateway !== null) sidecar.process.setGatewayUrl(gateway.url);
    return {
      url: gateway?.url ?? null,
      sidecarUrl: sidecar?.url ?? null,
      grpcAddress: gateway?.grpcAddress ?? null,
      consoleServed: gateway?.consoleServed ?? false,
      node: worker === null ? null : { id: worker.nodeId, url: worker.url },
      adminToken,
      redisUrl: ctx.redisUrl,
      stop,
      kill: () => {
        sidecar?.process.kill();
        ctx.kill();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The sidecar `isola up` forks, on ISOLA_SIDECAR_PORT (or, for 0, a port found free now), with its URL. */
async function sidecarProcess(redisUrl: string, config: Config, logger: Logger): Promise<{ process: SidecarProcess; url: string }> {
  const port = config.sidecarPort === 0 ? await freePort(config.sidecarHost) : config.sidecarPort;
  const sidecar = new SidecarProcess({
    env: { ...process.env, REDIS_URL: redisUrl, ISOLA_DATA_DIR: config.dataDir, ISOLA_LOG_LEVEL: config.logLevel },
    port,
    logger,
  });
  const host = config.sidecarHost === '0.0.0.0' || config.sidecarHost === '::' ? '127.0.0.1' : config.sidecarHost.includes(':') ? `[${config.sidecarHost}]` : config.sidecarHost;
  return { process: sidecar, url: `http://${host}:${port}` };
}
