import { destination, pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
}

/**
 * The platform logger: JSON lines on stderr (stdout stays free for the CLI's own output).
 * Each part takes a child with its `component` (gateway, worker, ...); children for one
 * invocation add `function` and `invocationId`. Pass the logger down, never import one.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { level: options.level, base: { pid: process.pid } },
    destination({ fd: 2, sync: false }),
  );
}
