// The built CLI and the repository's tsc as an author runs them, for tests of commands that work
// on folders (`isola init`, `isola types`): child processes in temp folders whose node_modules is
// linked to the repository's, so that @isola/types, @isola/cli and typescript resolve.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
const repoNodeModules = fileURLToPath(new URL('../../../node_modules', import.meta.url));
const tscBin = join(repoNodeModules, 'typescript', 'bin', 'tsc');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node --no-node-snapshot cli/dist/bin.js ...args` in `cwd`; never throws on a non-zero exit. */
export function runIsola(cwd: string, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--no-node-snapshot', bin, ...args], { cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/** Runs the repository's tsc with `args` in `cwd`: its error lines (`file(line,col): error TSnnnn: message`). */
export async function tscErrors(cwd: string, ...args: string[]): Promise<string[]> {
  const stdout = await new Promise<string>((resolve) => execFile(process.execPath, [tscBin, '--pretty', 'false', ...args], { cwd }, (_error, out) => resolve(out)));
  return stdout.split('\n').filter((line) => /error TS\d+/.test(line));
}

/** Makes `dir/node_modules` the repository's. */
export function linkNodeModules(dir: string): void {
  symlinkSync(repoNodeModules, join(dir, 'node_modules'), 'dir');
}

/** A temp folder for a test file: `fresh(name)` makes an empty folder in it; `remove()` deletes it all. */
export function scratchFolder(prefix: string): { root: string; fresh(name: string): string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return {
    root,
    fresh(name) {
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
