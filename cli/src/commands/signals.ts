import { loadConfig, type Config, type ConfigOverrides } from '@isola/core';
import type { RunningPlatform } from '../platform/platform.js';

/** The flags every platform command shares; they win over ISOLA_* variables and isola.config.yaml. */
export interface PlatformFlags {
  port?: string;
  workers?: string;
  dataDir?: string;
}

export function configFromFlags(flags: PlatformFlags, extra: ConfigOverrides = {}): Config {
  const overrides: ConfigOverrides = { ...extra };
  if (flags.port !== undefined) overrides.port = flags.port;
  if (flags.workers !== undefined) overrides.workers = flags.workers;
  if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir;
  return loadConfig({ overrides });
}

/**
 * SIGINT/SIGTERM stop the process's roles gracefully (a worker node drains first); a second
 * signal exits at once, taking down what would outlive the process (a private redis-server).
 */
export function stopOnSignals(platform: Pick<RunningPlatform, 'stop' | 'kill'>, what: string): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`Received ${signal} again: exiting now.`);
      platform.kill();
      process.exit(1);
    }
    stopping = true;
    console.log(`Received ${signal}: stopping ${what}...`);
    void platform.stop().then(
      () => {
        console.log(`${what} stopped.`);
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`Error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
