import { resolve } from 'node:path';
import type { Command } from 'commander';
import { bundleFolder, type BundledFolder } from '../bundle/bundle-folder.js';
import { formatBytes, formatDuration } from './output.js';
import { examples, platformCommand, printJson, withPlatform, type Platform } from './platform-options.js';

interface DeployFlags {
  promote: boolean;
}

/** `isola deploy [dir]`: bundle the function folder here, deploy it, print its URL and version. */
export function registerDeployCommand(program: Command): void {
  platformCommand(program, 'deploy [dir]', 'bundle a function folder (TypeScript, npm dependencies) with esbuild and deploy it as a new version')
    .option('--no-promote', 'deploy the version without pointing the latest alias at it (promote it later with `isola rollback NAME --to N`)')
    .addHelpText(
      'after',
      examples(
        [
        ['isola deploy', 'the function folder here (isola.yaml beside the code)'],
        ['isola deploy functions/cart-api', 'another folder'],
        ['isola deploy --no-promote', 'a new version that latest does not serve yet'],
        ['isola deploy --json | jq -r .url', 'for scripts: {name, version, codeHash, url}'],
        ],
        'What is uploaded: the bundle as .isola/bundle.js (the manifest\'s main points there, since the platform runs it), and the\n' +
          'sources (tests, node_modules and build output left out) under their own paths, for the console to show.',
      ),
    )
    .action((dir: string | undefined, flags: DeployFlags, command: Command) => withPlatform(command, (platform) => deploy(dir ?? '.', flags, platform)));
}

async function deploy(dir: string, flags: DeployFlags, platform: Platform): Promise<void> {
  const started = performance.now();
  let bundling = false;
  const onStart = (entry: string) => {
    bundling = true;
    process.stderr.write(`Bundling ${entry}… `);
  };
  const bundled: BundledFolder = await bundleFolder(resolve(dir), { onStart }).catch((error: unknown) => {
    if (bundling) process.stderr.write('failed\n');
    throw error;
  });
  process.stderr.write(`${formatBytes(bundled.bundleBytes)} in ${formatDuration(bundled.bundleMs)}\n`);
  for (const warning of bundled.warnings) process.stderr.write(`warning: ${warning}\n`);

  const payloadBytes = Buffer.byteLength(JSON.stringify({ manifest: bundled.manifest, files: bundled.files }));
  process.stderr.write(`Uploading ${formatBytes(payloadBytes)} to ${platform.url}… `);
  const uploadStarted = performance.now();
  const deployed = await platform.client.deploy(bundled.manifest, bundled.files, { promote: flags.promote }).catch((error: unknown) => {
    process.stderr.write('failed\n');
    throw error;
  });
  process.stderr.write(`${formatDuration(performance.now() - uploadStarted)}\n`);
  const url = `${platform.url}/fn/${deployed.name}/`;
  process.stderr.write(`Deployed ${deployed.name} version ${deployed.version} (${deployed.codeHash.slice(0, 12)}) in ${formatDuration(performance.now() - started)}\n`);
  if (!flags.promote) {
    process.stderr.write(`Not promoted: the latest alias still serves the version it did; \`isola rollback ${deployed.name} --to ${deployed.version}\` points it here.\n`);
  }
  const routes = Array.isArray(bundled.manifest.routes) ? (bundled.manifest.routes as { path?: unknown }[]) : [];
  for (const route of routes) if (typeof route.path === 'string') process.stderr.write(`Route: ${platform.url}${route.path}\n`);
  if (bundled.manifest.public !== true) {
    process.stderr.write('Not public: callers send a token (Authorization: Bearer …) or use `isola invoke`; set `public: true` in isola.yaml to open it.\n');
  }
  if (platform.json) {
    printJson({ name: deployed.name, version: deployed.version, codeHash: deployed.codeHash, url });
    return;
  }
  process.stdout.write(`${url} (version ${deployed.version}${flags.promote ? '' : ', not promoted'})\n`);
}
