// Service bindings to functions whose folders sit beside this one (functions/shop and
// functions/pricer): `isola types` types those bindings by the called function's own code
// (`ServiceBinding<typeof import('../../pricer/src/index.js').default>`), so that a call with
// wrong arguments fails to compile. Only TypeScript mains qualify; anything unreadable is skipped
// and that binding stays loosely typed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Manifest } from '@isola/core';

const typeScriptMain = /\.(m?)ts$/;

/**
 * Binding name → module specifier (relative to `outFile`) of the called function's main module,
 * for each service binding of `manifest` whose function lives in a sibling folder of `dir`.
 */
export function localServiceModules(manifest: Manifest, dir: string, outFile: string): Record<string, string> {
  const wanted = Object.entries(manifest.bindings).flatMap(([name, binding]) => (binding.type === 'service' ? [[name, binding.function] as const] : []));
  if (wanted.length === 0) return {};
  const mains = siblingMains(resolve(dir));
  const modules: Record<string, string> = {};
  for (const [name, functionName] of wanted) {
    const main = mains.get(functionName);
    if (main !== undefined) modules[name] = specifierFrom(dirname(resolve(outFile)), main);
  }
  return modules;
}

/** Function name → absolute path of its TypeScript main, for the folders beside `dir`. */
function siblingMains(dir: string): Map<string, string> {
  const parent = dirname(dir);
  const mains = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return mains;
  }
  for (const entry of entries) {
    const folder = join(parent, entry);
    if (folder === dir || entry === 'node_modules' || entry.startsWith('.')) continue;
    const manifestPath = join(folder, 'isola.yaml');
    try {
      if (!statSync(folder).isDirectory() || !existsSync(manifestPath)) continue;
      const sibling = parseYaml(readFileSync(manifestPath, 'utf8')) as { name?: unknown; main?: unknown } | null;
      if (typeof sibling?.name !== 'string' || typeof sibling.main !== 'string' || !typeScriptMain.test(sibling.main)) continue;
      const main = join(folder, sibling.main);
      if (existsSync(main)) mains.set(sibling.name, main);
    } catch {
      // An unreadable or malformed sibling is not this function's problem.
    }
  }
  return mains;
}

/** `../../pricer/src/index.js` for `main` seen from `fromDir` (the .js name TypeScript resolves to the .ts file). */
function specifierFrom(fromDir: string, main: string): string {
  const path = relative(fromDir, main).split(sep).join('/').replace(typeScriptMain, '.$1js');
  return path.startsWith('.') ? path : `./${path}`;
}

