// Runs the built `isola` command as a user would: a child process with its own environment,
// standard input and working directory, for the tests of the CLI's commands.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reapOnExit } from '@isola/core/testing';

export const cliBin = fileURLToPath(new URL('../bin.js', import.meta.url));
export const cliFixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** ISOLA_* and other variables on top of a clean environment (no ISOLA_URL/TOKEN/DATA_DIR of the caller's). */
  env?: NodeJS.ProcessEnv;
  /** Piped to standard input; without it standard input is empty (closed at once). */
  input?: string;
  /** Default: an empty temporary folder, so no .isola/admin-token is found by accident. */
  cwd?: string;
}

const emptyDir = mkdtempSync(join(tmpdir(), 'isola-cli-cwd-'));

/** The environment a CLI run gets: the test's, minus what would point it at another platform. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['ISOLA_URL', 'ISOLA_TOKEN', 'ISOLA_DATA_DIR', 'ISOLA_ADMIN_TOKEN']) delete env[key];
  return { ...env, ...extra };
}

/** Starts `isola ...args`; the caller reads and ends it. */
export function startCli(args: string[], options: CliOptions = {}): ChildProcess & { output(): CliResult; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--no-node-snapshot', cliBin, ...args], {
    cwd: options.cwd ?? emptyDir,
    env: cliEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const unreap = reapOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      unreap();
      resolve(code);
    }),
  );
  return Object.assign(child, { output: () => ({ code: child.exitCode, stdout, stderr }), exited });
}

/** Runs `isola ...args` to the end (killed after 60 s). */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await child.exited;
  clearTimeout(timer);
  return { ...child.output(), code };
}

/** Resolves once `read()` matches `pattern`; fails after `timeoutMs` with what was read. */
export async function waitFor(what: string, read: () => string, pattern: RegExp | string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(typeof pattern === 'string' ? read().includes(pattern) : pattern.test(read()))) {
    if (Date.now() > deadline) throw new Error(`${what}: ${String(pattern)} did not appear within ${timeoutMs} ms; got:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
