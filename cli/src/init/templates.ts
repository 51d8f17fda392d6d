// The templates of `isola init`: real files under cli/templates/<template>/ (so that they can be
// read, linted and type-checked as they are), over the files every template shares
// (cli/templates/_shared/). `{{name}}` in any file becomes the function's name; a file called
// `_gitignore` is written as `.gitignore` (npm drops .gitignore files from packages).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const templatesDir = fileURLToPath(new URL('../../templates', import.meta.url));

/** Every template, with the line `isola init --help` shows for it. */
export const templates = {
  http: 'a fetch handler answering HTTP requests (the default)',
  cron: 'a scheduled handler on the manifest\'s crons, keeping its runs in a state store',
  queue: 'a queue consumer with retries and a dead letter, and an endpoint that enqueues',
  rpc: 'RPC methods for other functions (service bindings), HTTP and gRPC clients',
  typescript: 'a JSON API with a typed Env, vars, a state binding and a helper module',
} as const;

export type TemplateName = keyof typeof templates;

export const templateNames = Object.keys(templates) as TemplateName[];

const sharedTemplate = '_shared';
const renamed: Readonly<Record<string, string>> = { _gitignore: '.gitignore' };

/** The files of `template` for function `name`: path (with /) → content, the template's own over the shared ones. */
export function renderTemplate(template: TemplateName, name: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const root of [join(templatesDir, sharedTemplate), join(templatesDir, template)]) {
    for (const path of filesUnder(root)) {
      const target = relative(root, path)
        .split(sep)
        .map((part) => renamed[part] ?? part)
        .join('/');
      files.set(target, readFileSync(path, 'utf8').replaceAll('{{name}}', name));
    }
  }
  return files;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
