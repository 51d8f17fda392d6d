import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { build, type BuildFailure, type Message, type Plugin } from 'esbuild';
import { IsolaError, parseManifest } from '@isola/core';
import { readManifestFile, readSources } from '../client/function-folder.js';

/**
 * Where the bundle goes in the deployed files. The platform bundles again from the manifest's
 * `main`, so `main` points here; the sources keep their own paths beside it, for the console.
 */
export const bundlePath = '.isola/bundle.js';

/** A function folder made ready to deploy: `POST /api/v1/functions` takes `manifest` and `files` as they are. */
export interface BundledFolder {
  /** isola.yaml as written, with `main` pointing at {@link bundlePath}. */
  manifest: Record<string, unknown>;
  /** The bundle at {@link bundlePath}, and the folder's sources (tests left out) at their own paths. */
  files: Record<string, string>;
  /** The entry file isola.yaml names (its `main`). */
  entry: string;
  /** The bundle's size in bytes (UTF-8). */
  bundleBytes: number;
  bundleMs: number;
  warnings: string[];
}

export interface BundleOptions {
  /** Called once the manifest is read, as bundling starts (for progress output). */
  onStart?(entry: string): void;
}

const builtins = new Set(builtinModules);
const skipCheck = Symbol('resolved by the built-in check');

/**
 * Bundles a function folder the way `isola deploy` does: reads and validates `isola.yaml`, then
 * bundles its `main` with esbuild into one ES module — TypeScript compiled, npm dependencies
 * taken from the folder's (or a parent's) node_modules, browser builds of packages preferred.
 * Imports of Node built-ins are refused, naming the file that imports them: the sandbox has none.
 * Throws INVALID_MANIFEST or BUNDLE_FAILED with every problem in `details.problems`.
 */
export async function bundleFolder(dir: string, options: BundleOptions = {}): Promise<BundledFolder> {
  const folder = resolve(dir);
  const written = readManifestFile(folder);
  const manifest = parseManifest(written);
  const entry = manifest.main;
  if (!existsSync(resolve(folder, entry))) {
    throw new IsolaError('BUNDLE_FAILED', `the main file ${entry} named in isola.yaml does not exist in ${folder}`, {
      problems: [{ location: null, message: `main: ${entry} does not exist in ${folder}` }],
    });
  }
  options.onStart?.(entry);
  const started = performance.now();
  let code: string;
  let warnings: Message[];
  try {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: folder,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      // What Cloudflare's tooling asks packages for: their worker or browser builds.
      conditions: ['workerd', 'worker', 'browser'],
      target: 'es2022',
      outfile: bundlePath,
      charset: 'utf8',
      legalComments: 'eof',
      define: { 'process.env.NODE_ENV': '"production"' },
      banner: { js: `// Bundled by \`isola deploy\` from ${entry}; the sources are stored beside it as they were written.` },
      logLevel: 'silent',
      plugins: [refuseNodeBuiltins()],
    });
    code = result.outputFiles[0]?.text ?? '';
    warnings = result.warnings;
  } catch (error) {
    const messages = (error as Partial<BuildFailure>).errors;
    if (!Array.isArray(messages)) throw error;
    const problems = messages.map(toProblem);
    throw new IsolaError('BUNDLE_FAILED', `bundling ${entry} failed: ${problems.map((problem) => (problem.location === null ? problem.message : `${problem.location}: ${problem.message}`)).join('; ')}`, {
      problems,
    });
  }
  const bundleMs = performance.now() - started;
  return {
    manifest: { ...written, main: bundlePath },
    files: { ...readSources(folder), [bundlePath]: code },
    entry,
    bundleBytes: Buffer.byteLength(code),
    bundleMs,
    warnings: warnings.map((warning) => formatProblem(toProblem(warning))),
  };
}

/**
 * Refuses `node:*` and Node's built-in modules, naming the importing file. A package that maps a
 * built-in away for browsers (package.json `browser` field), or an npm package of the same name
 * (`buffer`, `events`), is fine: esbuild resolves those first.
 */
function refuseNodeBuiltins(): Plugin {
  return {
    name: 'isola-refuse-node-builtins',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === skipCheck) return undefined;
        const bare = args.path.replace(/^node:/, '');
        if (!args.path.startsWith('node:') && !builtins.has(bare) && !builtins.has(bare.split('/')[0] ?? '')) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: skipCheck });
        if (resolved.errors.length === 0 && !resolved.external) return resolved;
        const importer = displayPath(build.initialOptions.absWorkingDir ?? process.cwd(), args.importer);
        return {
          errors: [
            {
              text: `${importer} imports "${args.path}", a Node.js built-in module: functions run in a V8 isolate without Node APIs (no fs, net, process or Buffer); use fetch, the Web APIs and env bindings instead`,
            },
          ],
        };
      });
    },
  };
}

interface BundleProblem {
  location: string | null;
  message: string;
}

function toProblem(message: Message): BundleProblem {
  if (message.location === null) return { location: null, message: message.text };
  const { file, line, column } = message.location;
  // The built-in check names the importing file for when there is no location; here it would say it twice.
  const text = message.text.startsWith(`${file} imports `) ? message.text.slice(file.length + 1) : message.text;
  return { location: `${file}:${line}:${column + 1}`, message: text };
}

function formatProblem(problem: BundleProblem): string {
  return problem.location === null ? problem.message : `${problem.location}: ${problem.message}`;
}

/** Paths inside the function folder relative to it, others (a parent's node_modules) absolute. */
function displayPath(folder: string, file: string): string {
  return file.startsWith(`${folder}/`) ? file.slice(folder.length + 1) : file;
}

