import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { IsolaError, nextCronTicks, normalizeCron } from '@isola/core';
import { CliError, platformErrorMessage, UsageError } from './cli-errors.js';
import { stopOnSignals } from './signals.js';

interface DevFlags {
  port: string;
  host: string;
  persist?: string | true;
  with?: string[];
}

const examples = `
Examples:
  isola dev                                 # the function in this folder on http://127.0.0.1:8787
  isola dev ./cart-api --port 0             # any free port (the URL is printed)
  isola dev --persist                       # keep state in .isola/dev-state.json across restarts
  isola dev ./shop --with ../pricer         # also run pricer, which shop's service binding calls
  curl -X POST localhost:8787/__isola/scheduled                # run the first cron now
  curl -X POST localhost:8787/__isola/queue/orders -d '{"id":1}'  # deliver a message
  curl -X POST localhost:8787/__isola/rpc/add -d '[2,3]'        # call an RPC method

The function runs in the same sandbox as on the platform (isolated-vm, the same Web APIs and
limits); its bindings use in-memory components; secrets come from .dev.vars (KEY=value lines)
beside isola.yaml. No Redis is needed. See docs/local-development.md.`;

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run a function folder locally in the real sandbox, reloading on change (no Redis needed)')
    .argument('[dir]', 'the function folder, holding isola.yaml', '.')
    .option('--port <port>', 'port of the local server (0 picks a free one)', '8787')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--persist [file]', 'save state and configuration items to a file and read them back on the next start (default .isola/dev-state.json in the folder)')
    .option('--with <dirs...>', 'also run these function folders (the functions its service bindings call)')
    .addHelpText('after', examples)
    .action((dir: string, flags: DevFlags) => dev(dir, flags));
}

async function dev(dir: string, flags: DevFlags): Promise<void> {
  const folder = resolve(dir);
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number (0 to 65535), not ${JSON.stringify(flags.port)}`, 'isola dev');
  if (!existsSync(join(folder, 'isola.yaml'))) throw new CliError(`no isola.yaml in ${folder}: pass a function folder, or create one with "isola init"`);
  const [{ DevSession }, { DevServer, devRoutes }, { paletteFor, formatInvocation }, { defaultStateFile }] = await Promise.all([
    import('../local/dev-session.js'),
    import('../local/dev-server.js'),
    import('../local/terminal-format.js'),
    import('../local/state-file.js'),
  ]);
  const palette = paletteFor(process.stdout);
  console.log(`Starting isola dev for ${folder} (a worker process with isolated-vm, and a sidecar with in-memory components)...`);
  const persistFile = flags.persist === undefined ? undefined : flags.persist === true ? join(folder, defaultStateFile) : resolve(flags.persist);
  let session;
  try {
    session = await DevSession.start({
      folder,
      services: (flags.with ?? []).map((service) => resolve(service)),
      ...(persistFile === undefined ? {} : { persistFile }),
      output: {
        invocation: (report) => console.log(formatInvocation(report, palette).join('\n')),
        info: (message) => console.log(palette.cyan(message)),
        warn: (message) => console.log(palette.yellow(`warning: ${message}`)),
        error: (message) => console.error(palette.red(message)),
        reloadFailed: (fn, serving, error) => console.error(palette.red(`${fn}: the change does not build; still serving v${serving}. ${describe(error)}`)),
      },
    });
  } catch (error) {
    if (error instanceof IsolaError) throw new CliError(`${describe(error)}\nFix it and run isola dev again.`);
    throw error;
  }
  let server;
  try {
    server = await DevServer.listen(session, flags.host, port);
  } catch (error) {
    await session.close();
    throw error;
  }
  const { main } = session;
  const crons = main.manifest.crons.map((entry) => {
    const spec = normalizeCron(entry);
    const [next] = nextCronTicks(spec, Date.now(), 1);
    return `${JSON.stringify(spec.schedule)}${spec.timezone === undefined ? '' : ` (${spec.timezone})`}${next === undefined ? '' : `, next at ${new Date(next).toISOString()}`}`;
  });
  const topics = main.manifest.queues.map((queue) => queue.topic);
  const others = session.functions.filter((fn) => fn !== main).map((fn) => `${fn.name} v${fn.current.version}`);
  console.log(
    [
      `${palette.bold(`${main.name} v${main.current.version}`)} runs in the isolated-vm sandbox with in-memory components (no Redis)${others.length === 0 ? '' : `, beside ${others.join(', ')}`}.`,
      `Ready on ${server.url}`,
      `  fetch      every path, e.g. curl ${server.url}/`,
      `  scheduled  ${devRoutes.scheduled}${crons.length === 0 ? ' (no crons in isola.yaml)' : `; crons fire on schedule: ${crons.join('; ')}`}`,
      `  queue      ${devRoutes.queue}${topics.length === 0 ? ' (no queues in isola.yaml)' : `; consumes ${topics.join(', ')}`}`,
      `  rpc        ${devRoutes.rpc} with a JSON array of arguments`,
      `  state      ${persistFile === undefined ? 'in memory (--persist keeps it in a file)' : `saved to ${persistFile}`}`,
      `Watching ${[folder, ...(flags.with ?? []).map((service) => resolve(service))].join(', ')} for changes. Press Ctrl+C to stop.`,
    ].join('\n'),
  );
  // A second signal exits at once: the worker and the sidecar are children and end with this process.
  stopOnSignals({ stop: () => server.close().then(() => session.close()), kill: () => undefined }, 'isola dev');
}

/** A build failure (or another error) as the other commands word it: every problem on its own line. */
function describe(error: unknown): string {
  if (error instanceof IsolaError) return platformErrorMessage(error, undefined);
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
