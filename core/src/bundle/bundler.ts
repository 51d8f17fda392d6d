import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { build, stop, type Message, type Plugin } from 'esbuild';
import { IsolaError } from '../errors/isola-error.js';

export interface BundleInput {
  /** Sources by relative path, e.g. `src/index.ts`. */
  files: Record<string, string>;
  /** The entry file (the manifest's `main`). */
  main: string;
}

export interface BundleOutput {
  /** One ES module with every import inlined. */
  code: string;
  /** sha256 of `code`, hex. */
  codeHash: string;
  warnings: string[];
}

/** One bundling problem, located like a compiler message: `src/index.ts:3:14`. */
export interface BundleProblem {
  location: string | null;
  message: string;
}

const sourceExtensions = ['', '.ts', '.tsx', '.mts', '.js', '.mjs', '.jsx', '.json', '/index.ts', '/index.js'];
const virtualNamespace = 'isola-files';

/**
 * Bundles a function's sources into one ES module with esbuild, in memory. TypeScript and
 * JSX are compiled; relative imports resolve among `files`. Leaves out npm packages: bare
 * imports fail with a message saying to bundle them before deploying (the CLI does).
 */
export async function bundleFunction(input: BundleInput): Promise<BundleOutput> {
  const files = normalizeFiles(input.files);
  const main = normalizePath(input.main);
  if (!files.has(main)) {
    throw new IsolaError('BUNDLE_FAILED', `main file "${input.main}" is not among the uploaded files`, {
      problems: [{ location: null, message: `missing entry ${input.main}; uploaded: ${[...files.keys()].join(', ') || 'nothing'}` }],
    });
  }
  try {
    const result = await build({
      entryPoints: [main],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      outfile: 'bundle.js',
      logLevel: 'silent',
      charset: 'utf8',
      legalComments: 'none',
      plugins: [inMemoryFiles(files)],
    });
    const code = result.outputFiles[0]?.text ?? '';
    return {
      code,
      codeHash: createHash('sha256').update(code).digest('hex'),
      warnings: result.warnings.map((warning) => formatMessage(warning).message),
    };
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(messages)) throw error;
    const problems = messages.map(formatMessage);
    const summary = problems.map((problem) => (problem.location ? `${problem.location}: ${problem.message}` : problem.message)).join('; ');
    throw new IsolaError('BUNDLE_FAILED', `bundling failed: ${summary}`, { problems });
  }
}

function inMemoryFiles(files: Map<string, string>): Plugin {
  return {
    name: 'isola-in-memory-files',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        // esbuild writes an entry point as "./src/index.ts" when the working directory holds a
        // file of that name: the uploaded files know it as "src/index.ts".
        if (args.kind === 'entry-point') return { path: normalizePath(args.path), namespace: virtualNamespace };
        if (args.path.startsWith('node:') || isNodeBuiltin(args.path)) {
          return { errors: [{ text: `"${args.path}" is a Node.js module; functions run in a sandbox without Node APIs (use fetch and env bindings instead)` }] };
        }
        if (!args.path.startsWith('.') && !args.path.startsWith('/')) {
          return { errors: [{ text: `cannot resolve package "${args.path}": bundle npm dependencies before deploying (isola deploy does) or include them in files` }] };
        }
        const base = args.path.startsWith('/') ? args.path.slice(1) : posix.join(posix.dirname(args.importer), args.path);
        const target = resolveAmong(files, posix.normalize(base));
        if (target === null) return { errors: [{ text: `cannot find "${args.path}" among the uploaded files` }] };
        return { path: target, namespace: virtualNamespace };
      });
      build.onLoad({ filter: /.*/, namespace: virtualNamespace }, (args) => {
        const contents = files.get(args.path);
        if (contents === undefined) return { errors: [{ text: `cannot find "${args.path}" among the uploaded files` }] };
        return { contents, loader: loaderFor(args.path), resolveDir: posix.dirname(args.path) };
      });
    },
  };
}

function resolveAmong(files: Map<string, string>, base: string): string | null {
  for (const extension of sourceExtensions) {
    if (files.has(base + extension)) return base + extension;
  }
  // TypeScript sources commonly import './x.js' meaning './x.ts'.
  const withoutJs = base.replace(/\.(m?js|jsx)$/, '');
  if (withoutJs !== base) {
    for (const extension of ['.ts', '.tsx', '.mts']) {
      if (files.has(withoutJs + extension)) return withoutJs + extension;
    }
  }
  return null;
}

function loaderFor(path: string): 'ts' | 'tsx' | 'js' | 'jsx' | 'json' | 'text' {
  if (/\.m?ts$/.test(path)) return 'ts';
  if (path.endsWith('.tsx')) return 'tsx';
  if (path.endsWith('.jsx')) return 'jsx';
  if (/\.m?js$/.test(path)) return 'js';
  if (path.endsWith('.json')) return 'json';
  return 'text';
}

function normalizePath(path: string): string {
  return posix.normalize(path.replace(/\\/g, '/')).replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

function normalizeFiles(files: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(files).map(([path, contents]) => [normalizePath(path), contents]));
}

const nodeBuiltins = new Set(['assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'http', 'http2', 'https', 'net', 'os', 'path', 'process', 'querystring', 'readline', 'stream', 'tls', 'tty', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib']);

function isNodeBuiltin(path: string): boolean {
  return nodeBuiltins.has(path.split('/')[0] ?? '');
}

function formatMessage(message: Message): BundleProblem {
  const location = message.location ? `${message.location.file.replace(`${virtualNamespace}:`, '')}:${message.location.line}:${message.location.column + 1}` : null;
  return { location, message: message.text };
}

/** Ends esbuild's helper process (started on first use), so shutdown leaves nothing running. */
export async function stopBundler(): Promise<void> {
  await stop();
}
