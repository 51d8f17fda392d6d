import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { createFunction } from '../init/create-function.js';
import { templateNames, templates, type TemplateName } from '../init/templates.js';

interface InitOptions {
  template: TemplateName;
  dir?: string;
  force?: boolean;
}

export function registerInitCommand(program: Command): void {
  program
    .command('init [name]')
    .description('create a function folder: isola.yaml, TypeScript source, a test, package.json and tsconfig.json')
    .addOption(new Option('--template <template>', 'what the function starts as').choices(templateNames).default('http'))
    .option('--dir <dir>', 'the folder to create (default ./<name>)')
    .option('--force', 'write into a folder that is not empty (the template files replace files of the same name)')
    .addHelpText(
      'after',
      `
Templates:
${templateNames.map((name) => `  ${name.padEnd(12)}${templates[name]}`).join('\n')}

Without a name the function is named after --dir, or after the current folder and created in it.
The name is a DNS label: 1 to 63 lowercase letters, digits and -.

Examples:
  isola init hello                          # ./hello, an HTTP function
  isola init nightly-report --template cron
  isola init orders --template queue --dir functions/orders
  isola init --template typescript          # in the current (empty) folder, named after it`,
    )
    .action((name: string | undefined, options: InitOptions) => init(name, options));
}

function init(givenName: string | undefined, options: InitOptions): void {
  const name = givenName ?? basename(resolve(options.dir ?? '.'));
  const dir = options.dir ?? (givenName === undefined ? '.' : givenName);
  const written = createFunction({ name, template: options.template, dir, force: options.force === true });

  const shownDir = relative(process.cwd(), resolve(dir));
  const steps = [
    ...(shownDir === '' ? [] : [`cd ${shownDir}`]),
    installedAbove(dir)
      ? '# no npm install: the isola CLI, @isola/types and TypeScript are found in a parent node_modules'
      : 'npm install          # the isola CLI, @isola/types and TypeScript',
    'npm run dev          # isola dev: run it locally on http://localhost:8787, reloading on change',
    'npm test             # isola test: the tests in test/, in the same sandbox as production',
    'npm run deploy       # isola deploy: set ISOLA_URL and ISOLA_TOKEN first (isola up prints them)',
  ];
  console.log(`Created ${name} from the ${options.template} template in ${shownDir === '' ? 'this folder' : shownDir}:
${written.map((path) => `  ${path}`).join('\n')}

Next:
${steps.map((step) => `  ${step}`).join('\n')}

After changing vars, secrets or bindings in isola.yaml, run "npm run types" to update src/env.d.ts.`);
}

/** True when Node would find @isola/types from the new folder (e.g. inside a checkout of the repository). */
function installedAbove(dir: string): boolean {
  for (let folder = resolve(dir); ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'node_modules', '@isola', 'types', 'package.json'))) return true;
    if (dirname(folder) === folder) return false;
  }
}
