import { formatDuration, paletteFor } from './output.js';

/** One invocation as --json prints it. */
export interface InvocationOutput {
  status: number;
  headers: Record<string, string>;
  body: string;
  invocationId: string | null;
  coldStart: boolean | null;
  version: number | null;
}

/** `HTTP 200 OK in 12 ms · version 3 · warm · invocation 0d3f…` */
export function statusLine(output: Pick<InvocationOutput, 'status' | 'invocationId' | 'coldStart' | 'version'>, elapsedMs: number | null): string {
  const palette = paletteFor(process.stderr);
  const status = `HTTP ${output.status}${statusText(output.status)}`;
  const coloured = output.status >= 500 ? palette.red(status) : output.status >= 400 ? palette.yellow(status) : palette.green(status);
  const parts = [elapsedMs === null ? coloured : `${coloured} in ${formatDuration(elapsedMs)}`];
  if (output.version !== null) parts.push(`version ${output.version}`);
  if (output.coldStart !== null) parts.push(output.coldStart ? 'cold start' : 'warm');
  if (output.invocationId !== null) parts.push(`invocation ${output.invocationId}`);
  return parts.join(' · ');
}

function statusText(status: number): string {
  const texts: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  const text = texts[status];
  return text === undefined ? '' : ` ${text}`;
}
