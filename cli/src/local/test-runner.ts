// `isola test`: runs a function folder's own tests with Node's test runner. TypeScript tests are
// compiled with esbuild into .isola/test/ first (Node 20 cannot strip types): each test with the
// local modules it imports in one file, packages left to Node, import.meta as in the source.
// Tests import the testing helper as `@isola/cli/local` (see test-loader/resolve-hook.ts).
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';
import { IsolaError } from '@isola/core';

/** Where compiled TypeScript tests go, inside the function folder. */
export const compiledTestsDir = join('.isola', 'test');

const testFile = /\.test\.(ts|mts|js|mjs)$/;
const skipped = new Set(['node_modules', '.isola', '.git', 'dist']);
const registerHook = new URL('./test-loader/register.js', import.meta.url);

/** The test files of a folder (`*.test.ts`, `*.test.js`, .mts and .mjs), beside the sources and under test/, sorted. */
export function findTests(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!skipped.has(entry.name)) walk(join(dir, entry.name));
      } else if (testFile.test(entry.name)) {
        found.push(join(dir, entry.name));
      }
    }
  };
  walk(folder);
  return found.sort();
}

/**
 * Compiles the TypeScript tests into .isola/test/ (emptied first), keeping their paths, and
 * returns what to run: the compiled files and the JavaScript tests as they are. Throws
 * BUNDLE_FAILED listing every compile error.
 */
export async function compileTests(folder: string, tests: string[]): Promise<string[]> {
  const outdir = join(folder, compiledTestsDir);
  rmSync(outdir, { recursive: true, force: true });
  const typescript = tests.filter((file) => /\.m?ts$/.test(file));
  if (typescript.length === 0) return tests;
  try {
    await build({
      entryPoints: typescript,
      outbase: folder,
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      define: { 'import.meta.url': '__isolaImportMeta.url', 'import.meta.dirname': '__isolaImportMeta.dirname', 'import.meta.filename': '__isolaImportMeta.filename' },
      plugins: [sourceImportMeta()],
    });
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(messages)) throw error;
    const problems = messages.map((message) => `${message.location === null ? '' : `${relative(folder, message.location.file)}:${message.location.line}:${message.location.column + 1}: `}${message.text}`);
    throw new IsolaError('BUNDLE_FAILED', `the tests do not compile:\n  ${problems.join('\n  ')}`, { problems });
  }
  const compiled = typescript.map((file) => join(outdir, relative(folder, file)).replace(/\.m?ts$/, '.mjs'));
  return [...tests.filter((file) => !typescript.includes(file)), ...compiled].sort();
}

/**
 * `import.meta.url`, `.dirname` and `.filename` of every compiled module are those of its source
 * file, not of the bundle in .isola/test/: `new URL('..', import.meta.url)` finds the function
 * folder as it would uncompiled.
 */
function sourceImportMeta(): Plugin {
  return {
    name: 'isola-source-import-meta',
    setup(setup) {
      setup.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (args.path.split(/[\\/]/).includes('node_modules')) return undefined;
        const meta = { url: pathToFileURL(args.path).href, dirname: dirname(args.path), filename: args.path };
        // On the first line, so that the source map's lines stay right.
        const contents = `var __isolaImportMeta = ${JSON.stringify(meta)}; ${await readFile(args.path, 'utf8')}`;
        return { contents, loader: /\.[cm]?tsx?$/.test(args.path) ? (args.path.endsWith('x') ? 'tsx' : 'ts') : args.path.endsWith('x') ? 'jsx' : 'js' };
      });
    },
  };
}

export interface RunTestsOptions {
  /** Only tests whose name matches (node --test-name-pattern). */
  namePattern?: string;
  /** A node test reporter (spec, tap, dot, junit, ...). */
  reporter?: string;
}

/** Runs the files with `node --test` in the folder; resolves with the runner's exit code. */
export function runTests(folder: string, files: string[], options: RunTestsOptions = {}): Promise<number> {
  const args = ['--no-node-snapshot', '--enable-source-maps', '--import', registerHook.href, '--test'];
  if (options.namePattern !== undefined) args.push(`--test-name-pattern=${options.namePattern}`);
  if (options.reporter !== undefined) args.push(`--test-reporter=${options.reporter}`);
  // Set when this process is itself a test of a runner: the tests' runner must report to the terminal, not to it.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [...args, ...files], { cwd: folder, stdio: 'inherit', env });
  // Ctrl+C reaches the runner too (same process group); this process waits for it to end.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      process.off('SIGINT', ignore);
      resolve(code ?? 1);
    });
  });
}
