import { destination, pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Base key on every line, e.g. `gateway`, `worker`. */
  component: string;
}

/**
 * The platform logger: JSON lines on stderr (stdout stays free for the CLI's own output).
 * Children carry `function` and `invocationId` keys; pass the logger down, never import one.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { level: options.level, base: { component: options.component, pid: process.pid } },
    destination({ fd: 2, sync: false }),
  );
}
