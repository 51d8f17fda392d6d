// The sandbox's `console`: every call becomes a captured log line of the running invocation
// (see log-capture.ts); nothing is printed anywhere.
import { formatLogArguments, formatValue } from './console-format.js';

/** Log levels as they appear in captured log lines. */
export type LogLevel = 'debug' | 'log' | 'info' | 'warn' | 'error';

/** Where formatted console lines go. */
export type LogWriter = (level: LogLevel, message: string) => void;

/** The console methods user code gets. */
export interface SandboxConsole {
  debug(...args: unknown[]): void;
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  /** Logged at debug level; there is no stack to print that would mean anything to a caller. */
  trace(...args: unknown[]): void;
  dir(value?: unknown): void;
  assert(condition?: unknown, ...args: unknown[]): void;
}

/** Creates a console whose methods format their arguments and hand them to `write`. */
export function createConsole(write: LogWriter): SandboxConsole {
  const at =
    (level: LogLevel) =>
    (...args: unknown[]): void => {
      write(level, formatLogArguments(args));
    };
  return {
    debug: at('debug'),
    log: at('log'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    trace: at('debug'),
    dir: (value?: unknown) => {
      write('log', formatValue(value));
    },
    assert: (condition?: unknown, ...args: unknown[]) => {
      if (condition) return;
      const detail = formatLogArguments(args);
      write('error', detail === '' ? 'Assertion failed' : `Assertion failed: ${detail}`);
    },
  };
}
