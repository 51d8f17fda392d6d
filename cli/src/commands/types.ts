import { relative } from 'node:path';
import type { Command } from 'commander';
import { envSummary } from '../env-types/env-declaration.js';
import { readManifestFile } from '../env-types/manifest-file.js';
import { defaultEnvTypesFile, staleLines, writeEnvTypes } from '../env-types/write-env-types.js';

interface TypesOptions {
  out?: string;
  check?: boolean;
  looseServices?: boolean;
  force?: boolean;
}

export function registerTypesCommand(program: Command): void {
  program
    .command('types [dir]')
    .description("write the function's Env type (vars, secrets, bindings) from its isola.yaml, for TypeScript")
    .option('--out <file>', `where to write it, relative to the function folder (default ${defaultEnvTypesFile})`)
    .option('--check', 'write nothing; exit 1 when the file is missing or out of date (for CI)')
    .option('--loose-services', 'type service bindings loosely even when the called function is in a folder beside this one')
    .option('--force', 'overwrite the file even if "isola types" did not write it')
    .addHelpText(
      'after',
      `
The file declares \`export interface Env\` with each var and secret as a string and each binding
as its @isola/types type (StateBinding, PubSubBinding, QueueBinding, ConfigBinding, LockBinding,
SecretBinding, ServiceBinding). A service binding to a function whose folder sits beside this
one (with a TypeScript main) is typed by that function's code. Import it with
\`import type { Env } from './env.js'\`.

Examples:
  isola types                          # ./isola.yaml -> ./src/env.d.ts
  isola types functions/cart           # functions/cart/isola.yaml -> functions/cart/src/env.d.ts
  isola types --out types/env.d.ts     # another file, relative to the function folder
  isola types --check                  # in CI: fail when isola.yaml changed and env.d.ts did not`,
    )
    .action((dir: string | undefined, options: TypesOptions) => types(dir ?? '.', options));
}

function types(dir: string, options: TypesOptions): void {
  const { manifest } = readManifestFile(dir);
  const target = { dir, manifest, ...(options.out === undefined ? {} : { out: options.out }), looseServices: options.looseServices === true };
  if (options.check) {
    const { file, missing, changes } = staleLines(target);
    const shown = relative(process.cwd(), file) || file;
    const rerun = ['isola types', ...(dir === '.' ? [] : [dir]), ...(options.out === undefined ? [] : ['--out', options.out]), ...(options.looseServices ? ['--loose-services'] : [])].join(' ');
    if (missing) {
      console.error(`isola: ${shown} does not exist: run "${rerun}" to write it`);
      process.exitCode = 1;
    } else if (changes.length > 0) {
      console.error(`isola: ${shown} is out of date with isola.yaml: run "${rerun}" to regenerate it\n${changes.join('\n')}`);
      process.exitCode = 1;
    } else {
      console.log(`${shown} is up to date with isola.yaml`);
    }
    return;
  }
  const file = writeEnvTypes(target, options.force === true);
  console.log(`Wrote ${relative(process.cwd(), file) || file}: Env of ${manifest.name} (${envSummary(manifest)})`);
}
