import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Drives `url` with wrk (a C load generator, so the client costs little CPU) and parses its report. */
export async function wrk(url: string, connections: number, durationSeconds: number): Promise<LoadResult> {
  const threads = Math.min(2, connections);
  const { stdout } = await run('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${durationSeconds}s`, '--latency', url], {
    maxBuffer: 1 << 20,
  });
  const requestsPerSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const errorMatch = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = Number(errorMatch?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0);
  return {
    connections,
    requestsPerSecond,
    p50Ms: latencyMs(stdout, '50%'),
    p99Ms: latencyMs(stdout, '99%'),
    errors,
  };
}

function latencyMs(report: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}\\s+([\\d.]+)(us|ms|s)`, 'm').exec(report);
  if (match === null) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}
