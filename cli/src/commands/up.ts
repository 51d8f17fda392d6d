import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createLogger } from '@isola/core';
import { IsolaClient } from '@isola/core';
import { bundleFolder } from '../bundle/bundle-folder.js';
import { configFromFlags, stopOnSignals, type PlatformFlags } from './signals.js';

const examplesDir = fileURLToPath(new URL('../../../functions-examples', import.meta.url));

interface UpOptions extends PlatformFlags {
  deploy?: string[];
  deployExamples?: boolean;
  showToken?: boolean;
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('start the whole platform on this machine: gateway, scheduler, worker pool (and a private Redis unless REDIS_URL is set)')
    .option('--port <port>', 'gateway port (ISOLA_PORT, default 8080; 0 picks a free one)')
    .option('--workers <count>', 'worker processes (ISOLA_WORKERS, default one per core)')
    .option('--data-dir <dir>', 'data directory (ISOLA_DATA_DIR, default .isola)')
    .option('--deploy <dirs...>', 'deploy these function folders once the platform is up')
    .option('--deploy-examples', 'deploy every example in functions-examples/')
    .option('--show-token', 'print the admin token even when it was not generated now')
    .addHelpText('after', '\nSettings come from ISOLA_* environment variables and isola.config.yaml; see docs/configuration.md.')
    .action((options: UpOptions) => up(options));
}

async function up(options: UpOptions): Promise<void> {
  const config = configFromFlags(options);
  const logger = createLogger({ level: config.logLevel });

  console.log(`Starting Isola (${config.workers} worker${config.workers === 1 ? '' : 's'}, data in ${config.dataDir})...`);
  const { startPlatform } = await import('../platform/platform.js');
  const platform = await startPlatform(config, logger);
  stopOnSignals(platform, 'Isola');
  const url = platform.url as string;

  const { token, generated, file } = platform.adminToken!;
  const tokenLine = generated
    ? `Admin token (shown once; stored in ${file}): ${token}`
    : options.showToken
      ? `Admin token: ${token}`
      : `Admin token: ${file === null ? 'ISOLA_ADMIN_TOKEN' : `stored in ${file}`}`;
  const consoleLine = platform.consoleServed
    ? `Console: ${url}/ (sign in with the admin token)`
    : 'Console: not built; run `npm run build -w console` (or set ISOLA_CONSOLE_DIR) and restart';
  // One write, so whoever waits for the "up" line reads the token and console lines with it.
  console.log(`Isola is up: ${url} (gRPC ${platform.grpcAddress as string}, sidecar ${platform.sidecarUrl as string})\n${tokenLine}\n${consoleLine}`);

  const folders = [...(options.deploy ?? []), ...(options.deployExamples ? exampleFolders() : [])];
  if (folders.length > 0) await deployFolders(url, token, folders);
  console.log('Press Ctrl+C to stop.');
}

function exampleFolders(): string[] {
  if (!existsSync(examplesDir)) return [];
  return readdirSync(examplesDir)
    .map((entry) => join(examplesDir, entry))
    .filter((dir) => existsSync(join(dir, 'isola.yaml')));
}

async function deployFolders(url: string, token: string, folders: string[]): Promise<void> {
  const client = new IsolaClient(url, token);
  for (const folder of folders) {
    try {
      // Bundled here as `isola deploy` does, so that examples with npm dependencies deploy too.
      const { manifest, files } = await bundleFolder(folder);
      const deployed = await client.deploy(manifest, files);
      console.log(`Deployed ${deployed.name} v${deployed.version}: ${url}/fn/${deployed.name}/`);
    } catch (error) {
      console.error(`Could not deploy ${folder}: ${(error as Error).message}`);
    }
  }
}
