// A function's console lines and failure, in the platform log of the process that answered the
// call (the gateway, the gRPC trigger): at `info`, so they cost nothing unless asked for.
import type { InvocationOutcome } from '../invocation/types.js';

/** The part of a pino logger (or Fastify's request.log) this needs. */
export interface OutputLogger {
  level: string;
  info(bindings: object, message: string): void;
}

/** Whether a pino level (the logger's threshold) lets `info` lines through. */
function infoEnabled(level: string): boolean {
  return level === 'info' || level === 'debug' || level === 'trace';
}

/** Logs the outcome's console lines, and its error when it failed; `keys` name the invocation. */
export function logFunctionOutput(logger: OutputLogger, outcome: InvocationOutcome, keys: { function: string; version: number; invocationId: string }): void {
  if ((outcome.logs.length === 0 && outcome.ok) || !infoEnabled(logger.level)) return;
  for (const line of outcome.logs) logger.info({ ...keys, source: 'function', fnLevel: line.level, fnTime: line.time }, line.message);
  if (!outcome.ok) logger.info({ ...keys, error: outcome.error }, 'invocation failed');
}
