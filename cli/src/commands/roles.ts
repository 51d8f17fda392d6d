import type { Command } from 'commander';
import { createLogger } from '@isola/core';
import { resolveAdminToken } from '../platform/admin-token.js';
import type { Roles } from '../platform/platform.js';
import type { SidecarChildMessage, SidecarParentMessage } from '../platform/sidecar-process.js';
import { configFromFlags, stopOnSignals, type PlatformFlags } from './signals.js';

const settingsHelp =
  '\nEvery role needs REDIS_URL (the roles of a platform meet in one Redis) and the same secret key (ISOLA_SECRET_KEY, or a shared data dir).' +
  '\nSettings come from ISOLA_* environment variables and isola.config.yaml; see docs/configuration.md and docs/deployment.md.';

/**
 * `isola gateway`, `isola worker` and `isola scheduler`: one role per process, so that a platform can span
 * processes and machines sharing one Redis (docs/deployment.md).
 */
export function registerRoleCommands(program: Command): void {
  program
    .command('gateway')
    .description('run a gateway alone: the control-plane API and the HTTP trigger; invocations run on the worker nodes registered in Redis')
    .option('--port <port>', 'HTTP port (ISOLA_PORT, default 8080; 0 picks a free one)')
    .option('--data-dir <dir>', 'data directory (ISOLA_DATA_DIR, default .isola)')
    .addHelpText('after', settingsHelp)
    .action((options: PlatformFlags) => runRole({ gateway: true, worker: false, scheduler: false }, options));
  program
    .command('worker')
    .description('run a worker node alone: pre-forked worker processes, the async/topic consumers, and a node server for gateways')
    .option('--workers <count>', 'worker processes (ISOLA_WORKERS, default one per core)')
    .option('--data-dir <dir>', 'data directory (ISOLA_DATA_DIR, default .isola)')
    .addHelpText('after', settingsHelp)
    .action((options: PlatformFlags) => runRole({ gateway: false, worker: true, scheduler: false }, options));
  program
    .command('scheduler')
    .description('run the scheduler alone: the cron trigger (replicas are safe: each tick fires once across all of them)')
    .option('--data-dir <dir>', 'data directory (ISOLA_DATA_DIR, default .isola)')
    .addHelpText('after', settingsHelp)
    .action((options: PlatformFlags) => runRole({ gateway: false, worker: false, scheduler: true }, options));
  program
    .command('sidecar')
    .description("run the sidecar alone (one per worker node): the Dapr-compatible API — state, pub/sub, configuration, secrets, locks, service invocation — the functions' bindings call")
    .option('--port <port>', 'sidecar port (ISOLA_SIDECAR_PORT, default 3500; 0 picks a free one)')
    .option('--data-dir <dir>', 'data directory (ISOLA_DATA_DIR, default .isola)')
    .addHelpText(
      'after',
      `${settingsHelp}\nComponents: Dapr component YAML files in ISOLA_SIDECAR_COMPONENTS (or <data dir>/components); without them statestore, pubsub, configstore, lockstore and secretstore on REDIS_URL (docs/sidecar.md).`,
    )
    .action((options: PlatformFlags) => runSidecar(options));
}

async function runSidecar(options: PlatformFlags): Promise<void> {
  const { port, ...rest } = options;
  const config = configFromFlags(rest, port === undefined ? {} : { sidecarPort: port });
  const logger = createLogger({ level: config.logLevel });
  const { startSidecarRole } = await import('../platform/sidecar-role.js');
  const sidecar = await startSidecarRole(config, logger, resolveAdminToken(config.adminToken, config.dataDir));
  let stopped: Promise<void> | null = null;
  const stop = () => (stopped ??= sidecar.close());
  console.log(`Isola sidecar is up: ${sidecar.url}`);
  if (process.send === undefined) {
    stopOnSignals({ stop, kill: () => undefined }, 'the Isola sidecar');
    return;
  }
  // Forked by \`isola up\`: report the URL, take the gateway's, and stop when the parent says so
  // (SIGTERM) or goes. Ctrl+C reaches the whole process group: the parent decides when this stops.
  const exit = () => void stop().finally(() => process.exit(0));
  process.on('SIGINT', () => undefined);
  process.once('SIGTERM', exit);
  process.once('disconnect', exit);
  process.on('message', (message: SidecarParentMessage) => {
    if (message.type === 'gateway') sidecar.setGatewayUrl(message.url);
  });
  process.send({ type: 'ready', url: sidecar.url } satisfies SidecarChildMessage);
}

async function runRole(roles: Roles, options: PlatformFlags): Promise<void> {
  const config = configFromFlags(options);
  const logger = createLogger({ level: config.logLevel });
  const name = roles.gateway ? 'gateway' : roles.worker ? 'worker node' : 'scheduler';
  // Loaded when used: `isola sidecar` then loads neither the worker pool nor the gateway.
  const { startPlatform } = await import('../platform/platform.js');
  const platform = await startPlatform(config, logger, roles);
  stopOnSignals(platform, `the Isola ${name}`);
  if (platform.url !== null) {
    const token = platform.adminToken;
    const tokenLine = token?.generated ? `\nAdmin token (shown once; stored in ${token.file}): ${token.token}` : '';
    console.log(`Isola gateway is up: ${platform.url} (gRPC ${platform.grpcAddress as string})${tokenLine}`);
  }
  if (roles.scheduler) console.log('Isola scheduler is up: running the cron schedules');
  if (platform.node !== null) console.log(`Isola worker node ${platform.node.id} is up: ${platform.node.url} (${config.workers} worker${config.workers === 1 ? '' : 's'})`);
}
