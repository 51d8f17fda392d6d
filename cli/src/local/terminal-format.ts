// How `isola dev` shows what happens: one line per invocation (what ran, its status, how long,
// cold or warm), then its console lines by level, in colour when the terminal takes it.
import type { LogLevel } from '@isola/core';
import type { InvocationReport } from './local-function.js';

export interface Palette {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

/** ANSI colours, or none (output to a file or pipe, NO_COLOR set, FORCE_COLOR=0). */
export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Palette {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const colour = forced || (stream.isTTY === true && env.NO_COLOR === undefined && env.FORCE_COLOR !== '0');
  if (!colour) {
    const plain = (text: string) => text;
    return { red: plain, yellow: plain, green: plain, cyan: plain, dim: plain, bold: plain };
  }
  return { red: ansi(31, 39), yellow: ansi(33, 39), green: ansi(32, 39), cyan: ansi(36, 39), dim: ansi(2, 22), bold: ansi(1, 22) };
}

const levelColours: Record<LogLevel, keyof Palette> = { debug: 'dim', log: 'bold', info: 'cyan', warn: 'yellow', error: 'red' };

/** The lines of one invocation: a header, its console lines, and its error when it failed. */
export function formatInvocation(report: InvocationReport, palette: Palette, now = new Date()): string[] {
  const { outcome } = report;
  const statusColour = !outcome.ok || report.status >= 500 ? palette.red : report.status >= 400 ? palette.yellow : palette.green;
  const result = report.trigger === 'http' || !outcome.ok ? String(report.status) : 'ok';
  const timing = `${report.elapsedMs < 10 ? report.elapsedMs.toFixed(1) : Math.round(report.elapsedMs)} ms${outcome.coldStart ? ', cold start' : ''}`;
  const lines = [`${palette.dim(clock(now))} ${report.label} ${statusColour(result)} ${palette.dim(`${timing} · ${report.function} v${report.version} · ${report.invocationId}`)}`];
  for (const line of outcome.logs) {
    const colour = palette[levelColours[line.level]];
    const [first, ...rest] = line.message.split('\n');
    lines.push(`  ${colour(line.level.padEnd(5))} ${first ?? ''}`, ...rest.map((more) => `        ${more}`));
  }
  if (outcome.logsTruncated) lines.push(`  ${palette.yellow('(more log lines were dropped: the invocation reached the log limit, ISOLA_MAX_LOG_BYTES)')}`);
  if (!outcome.ok) lines.push(`  ${palette.red(`${outcome.error.code}: ${outcome.error.message}`)}`);
  return lines;
}

function clock(date: Date): string {
  return date.toTimeString().slice(0, 8);
}
