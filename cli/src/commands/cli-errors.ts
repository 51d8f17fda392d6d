import { CommanderError } from 'commander';
import { IsolaError } from '@isola/core';
import { ApiError } from '@isola/core';

/** The command line itself is wrong (a flag's value, flags that exclude each other): exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help to point at, e.g. `isola invoke`. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure already worded for the user: printed as it is, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where the token of a platform command came from, for error messages. */
export type TokenSource = { kind: 'flag' } | { kind: 'env' } | { kind: 'file'; path: string } | { kind: 'none' };

export interface ErrorReport {
  /** Printed on stderr (each line as it is). */
  message: string;
  exitCode: number;
}

/**
 * Turns any error a command throws into what the user reads and the exit code: 2 for usage
 * errors, 0 for --help and --version, 1 for everything else. Errors of the platform say what to
 * do next: start it or point --url at it, use another token, fix the listed problems.
 */
export function describeError(error: unknown, tokenSource?: TokenSource): ErrorReport {
  if (error instanceof CommanderError) {
    // Commander printed its message already; help and version end well.
    const fine = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0;
    return { message: '', exitCode: fine ? 0 : 2 };
  }
  if (error instanceof UsageError) {
    return { message: `isola: ${error.message}\n(run "${error.command ?? 'isola'} --help" for usage and examples)`, exitCode: 2 };
  }
  if (error instanceof CliError) return { message: `isola: ${error.message}`, exitCode: error.exitCode };
  if (error instanceof IsolaError) return { message: `isola: ${platformErrorMessage(error, tokenSource)}`, exitCode: 1 };
  if (error instanceof Error) return { message: `isola: ${error.stack ?? error.message}`, exitCode: 1 };
  return { message: `isola: ${String(error)}`, exitCode: 1 };
}

/** An error of the platform (or of preparing a request for it), worded with what to do next. */
export function platformErrorMessage(error: IsolaError, tokenSource: TokenSource | undefined): string {
  const problems = problemLines(error.details);
  // A problem list already worded here (by `isola init` or `isola types`, naming the file and lines) stays as it is.
  if (!(error instanceof ApiError) && error.message.includes('\n')) return error.message;
  switch (error.code) {
    case 'UNAUTHORIZED':
      if (tokenSource?.kind === 'none') {
        return `no token: set --token or ISOLA_TOKEN (\`isola up\` prints the admin token and stores it in .isola/admin-token). The platform said: ${error.message}`;
      }
      return `the token was refused: ${error.message}${tokenSource === undefined ? '' : ` (the token came from ${describeTokenSource(tokenSource)})`}; set --token or ISOLA_TOKEN`;
    case 'FORBIDDEN':
      return `not allowed: ${error.message}; use a token whose role allows this (an admin creates tokens: POST /api/v1/tokens, or the console's Tokens page)`;
    case 'INVALID_MANIFEST':
      return problems === null ? error.message : `invalid manifest (isola.yaml), ${count(problems.length, 'problem')}:\n${problems.join('\n')}`;
    case 'BUNDLE_FAILED':
      return problems === null ? error.message : `bundling failed, ${count(problems.length, 'problem')}:\n${problems.join('\n')}`;
    default:
      if (problems !== null && error instanceof ApiError && error.httpStatus === 400) {
        return `the platform refused the request, ${count(problems.length, 'problem')}:\n${problems.join('\n')}`;
      }
      return error.message;
  }
}

export function describeTokenSource(source: TokenSource): string {
  switch (source.kind) {
    case 'flag':
      return 'the --token flag';
    case 'env':
      return 'ISOLA_TOKEN';
    case 'file':
      return `the file ${source.path}`;
    case 'none':
      return 'nowhere';
  }
}

/** `  path: message` for each problem in `details.problems` (manifest: path; bundle: location). */
function problemLines(details: unknown): string[] | null {
  const problems = (details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems) || problems.length === 0) return null;
  return problems.map((problem: { path?: unknown; location?: unknown; message?: unknown }) => {
    const where = typeof problem.path === 'string' ? problem.path || '(root)' : typeof problem.location === 'string' ? problem.location : null;
    const message = typeof problem.message === 'string' ? problem.message : JSON.stringify(problem);
    return where === null ? `  ${message}` : `  ${where}: ${message}`;
  });
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
