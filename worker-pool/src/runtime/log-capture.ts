// Per-invocation log capture with a byte cap. When an invocation's log text would exceed the
// cap, that line and every later one are dropped and one final warn line says how many bytes
// were lost: truncation is always marked, never silent.
//
// Attribution: a line belongs to the most recently started invocation that is still running.
// With several concurrent dispatches in one isolate there is no way to know which invocation's
// code is running (no AsyncLocalStorage / AsyncContext in the isolate), so a line written by an
// older invocation after a newer one started is attributed to the newer one. Lines written
// while no invocation runs (the module's top level, or code still running after its invocation
// finished) are held and given to the next invocation.
import type { LogLine } from './contract.js';
import { utf8ByteLength } from './web/text-encoding.js';
import type { LogLevel } from './web/console.js';
import { append } from './primordials.js';

/** The cap until install() passes the configured one (covers module top-level logging). */
const DEFAULT_MAX_LOG_BYTES = 64 * 1024;

/** The log buffer of one invocation (or of the lines written between invocations). */
export class InvocationLog {
  readonly lines: LogLine[] = [];
  bytes = 0;
  droppedBytes = 0;
  truncated = false;
}

let maxLogBytes = DEFAULT_MAX_LOG_BYTES;
const running: InvocationLog[] = [];
let betweenInvocations = new InvocationLog();

/** Sets the per-invocation cap, in UTF-8 bytes of message text. */
export function setMaxLogBytes(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`maxLogBytes must be a non-negative number, got ${bytes}`);
  maxLogBytes = bytes;
}

/** Appends a line to the invocation the line is attributed to (see the file comment). */
export function writeLog(level: LogLevel, message: string): void {
  writeLogTo(running[running.length - 1] ?? betweenInvocations, level, message);
}

/** Appends a line to a known invocation's log, under the same cap. */
export function writeLogTo(target: InvocationLog, level: LogLevel, message: string): void {
  const bytes = utf8ByteLength(message);
  if (target.truncated || target.bytes + bytes > maxLogBytes) {
    target.truncated = true;
    target.droppedBytes += bytes;
    return;
  }
  target.bytes += bytes;
  append(target.lines, { level, time: Date.now(), message });
}

/** Starts capturing for a new invocation; it takes over lines written between invocations. */
export function beginInvocationLog(): InvocationLog {
  const log = betweenInvocations;
  betweenInvocations = new InvocationLog();
  append(running, log);
  return log;
}

/** Stops capturing for `log` and returns its lines, with the truncation marker if needed. */
export function endInvocationLog(log: InvocationLog): { logs: LogLine[]; logsTruncated: boolean } {
  const index = running.indexOf(log);
  if (index !== -1) running.splice(index, 1);
  const logs = log.lines.slice();
  if (log.truncated) {
    append(logs, {
      level: 'warn',
      time: Date.now(),
      message: `[isola] log truncated: ${log.droppedBytes} more bytes dropped`,
    });
  }
  return { logs, logsTruncated: log.truncated };
}
