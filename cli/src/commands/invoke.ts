import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { errorCatalogue, isErrorShape, platformHeaders, type ErrorBody, type ErrorShape } from '@isola/core';
import { errorOf } from '@isola/core';
import { CliError, UsageError } from './cli-errors.js';
import { waitForInvocation } from './invocation-wait.js';
import { statusLine, type InvocationOutput } from './invocation-output.js';
import { examples, note, platformCommand, printJson, withPlatform, type Platform } from './platform-options.js';
import { readStdin, stdinIsPiped } from './terminal-input.js';

interface InvokeFlags {
  data?: string;
  file?: string;
  method?: string;
  path?: string;
  header: string[];
  async?: boolean;
  wait?: boolean;
  rpc?: string;
  args?: string;
  verbose?: boolean;
}

const usage = 'isola invoke';

export function registerInvokeCommand(program: Command): void {
  platformCommand(program, 'invoke <name>', "invoke a function: its fetch handler (default), an HTTP path of it (--method/--path), or an RPC method (--rpc)")
    .option('-d, --data <body>', 'the request body')
    .option('--file <path>', 'the request body, read from a file')
    .option('-X, --method <method>', 'send this HTTP method to /fn/NAME{--path} (default GET, or POST with a body)')
    .option('--path <path>', 'send to /fn/NAME{path}, e.g. /cart/42?full=true, instead of the invoke endpoint')
    .option('-H, --header <header>', 'a request header, "Name: value" (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--async', 'queue the invocation and print its id (202); poll it with GET /api/v1/invocations/{id}')
    .option('--wait', 'with --async: wait until the invocation ends, then print its result (implies --async)')
    .option('--rpc <method>', 'call this RPC method (POST /api/v1/functions/NAME/rpc/METHOD) and print its JSON result')
    .option('--args <json>', 'with --rpc: the arguments as a JSON array (default [])')
    .option('-v, --verbose', 'print the status, timing, version and invocation id on stderr')
    .addHelpText(
      'after',
      examples(
        [
        ['isola invoke hello', "POST / to hello's fetch handler, print the response body"],
        [`isola invoke cart-api -d '{"sku":"A1"}'`, 'with a body (JSON is sent as application/json)'],
        ['isola invoke cart-api --file order.json', 'the body from a file'],
        ['echo hi | isola invoke echo', 'the body from standard input'],
        ['isola invoke cart-api --path /cart/42 -v', 'GET /fn/cart-api/cart/42, status and timing on stderr'],
        ['isola invoke cart-api -X DELETE --path /cart/42', 'another method'],
        ['isola invoke report --async --wait', 'queue it, wait for the result'],
        [`isola invoke pricer --rpc quote --args '["A1", 2]'`, 'call an RPC method'],
        ],
        'The body goes to stdout. Exit code 1 when the function fails or answers 500 or more (the status is then on stderr).',
      ),
    )
    .action((name: string, flags: InvokeFlags, command: Command) => withPlatform(command, (platform) => invoke(name, flags, platform)));
}

async function invoke(name: string, flags: InvokeFlags, platform: Platform): Promise<void> {
  checkFlags(flags);
  const headers = parseHeaders(flags.header);
  if (flags.rpc !== undefined) return invokeRpc(name, flags.rpc, parseArgs(flags.args), headers, flags, platform);

  const body = await requestBody(flags);
  if (body !== undefined && !hasHeader(headers, 'content-type')) headers.push(['content-type', body.contentType]);
  const async = flags.async === true || flags.wait === true;
  if (async) headers.push([platformHeaders.invoke, 'async']);
  const http = flags.method !== undefined || flags.path !== undefined;
  const method = flags.method?.toUpperCase() ?? (http && body === undefined ? 'GET' : 'POST');
  const path = http ? `/fn/${encodeURIComponent(name)}${flags.path ?? '/'}` : `/api/v1/functions/${encodeURIComponent(name)}/invoke`;

  const started = performance.now();
  const send = (auth: boolean) => platform.client.send(method, path, { headers, auth, ...(body === undefined ? {} : { body: body.bytes }) });
  // The HTTP trigger passes Authorization on to public functions: the token goes only where the
  // platform asks for it (a 401 of its own, without an invocation id).
  let response = http && !hasHeader(headers, 'authorization') ? await send(false) : await send(true);
  if (http && response.status === 401 && !response.headers.has(platformHeaders.invocationId) && !hasHeader(headers, 'authorization')) {
    await response.body?.cancel();
    response = await send(true);
  }
  const elapsedMs = performance.now() - started;
  const invocationId = response.headers.get(platformHeaders.invocationId);
  // No invocation id: the platform refused the request itself (auth, unknown function, bad input).
  if (invocationId === null && response.status >= 400) throw await errorOf(method, path, response);

  if (async && response.status === 202) {
    const accepted = (await response.json()) as { invocationId: string };
    if (flags.wait === true) return waitForInvocation(platform, accepted.invocationId, flags.verbose === true);
    if (platform.json) printJson({ status: 202, invocationId: accepted.invocationId });
    else process.stdout.write(`${accepted.invocationId}\n`);
    return;
  }

  const bytes = Buffer.from(await response.arrayBuffer());
  const output: InvocationOutput = {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: bytes.toString('utf8'),
    invocationId,
    coldStart: coldStartOf(response.headers),
    version: versionOf(response.headers),
  };
  const failure = platformFailure(response, output.body);
  report(name, output, failure, elapsedMs, flags, platform, bytes);
}

async function invokeRpc(name: string, method: string, args: unknown[], headers: [string, string][], flags: InvokeFlags, platform: Platform): Promise<void> {
  const path = `/api/v1/functions/${encodeURIComponent(name)}/rpc/${encodeURIComponent(method)}`;
  const started = performance.now();
  const response = await platform.client.send('POST', path, { headers: [...headers, ['content-type', 'application/json']], body: JSON.stringify(args) });
  const elapsedMs = performance.now() - started;
  const invocationId = response.headers.get(platformHeaders.invocationId);
  if (invocationId === null && response.status >= 400) throw await errorOf('POST', path, response);
  const text = await response.text();
  const output: InvocationOutput = {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: text,
    invocationId,
    coldStart: coldStartOf(response.headers),
    version: versionOf(response.headers),
  };
  const failure = response.ok ? null : (errorShapeOf(text) ?? { code: 'INTERNAL', message: `the call answered ${response.status}: ${text.slice(0, 200)}` });
  if (failure !== null) return report(name, output, failure, elapsedMs, flags, platform, Buffer.from(text));
  const result = (JSON.parse(text) as { result: unknown }).result;
  if (platform.json) {
    printJson({ ...output, result });
  } else {
    if (flags.verbose === true) note(statusLine(output, elapsedMs));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
}

/** Prints a sync invocation's outcome; sets the exit code (1 for a failure or a status of 500 or more). */
function report(name: string, output: InvocationOutput, failure: ErrorShape | null, elapsedMs: number, flags: InvokeFlags, platform: Platform, bytes: Buffer): void {
  const failed = failure !== null || output.status >= 500;
  if (platform.json) {
    printJson(failure === null ? output : { ...output, error: failure });
  } else {
    if (flags.verbose === true || output.status >= 400) note(statusLine(output, elapsedMs));
    if (failure === null) {
      process.stdout.write(bytes);
      if (process.stdout.isTTY === true && bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) process.stdout.write('\n');
    }
  }
  if (failure !== null) throw new CliError(`the function failed: ${failure.code}: ${failure.message}${output.invocationId === null ? '' : ` (invocation ${output.invocationId}; \`isola logs ${name} --invocation ${output.invocationId}\` shows its logs)`}`);
  if (failed) process.exitCode = 1;
}

/**
 * The platform's error for a failed invocation (the function threw, timed out, crashed...), as
 * opposed to a Response the function returned, which may be JSON too: only codes that the
 * platform gives failed invocations count, and only with its JSON content type.
 */
function platformFailure(response: Response, body: string): ErrorShape | null {
  if (response.status < 400 || !(response.headers.get('content-type') ?? '').startsWith('application/json')) return null;
  const shape = errorShapeOf(body);
  if (shape === null) return null;
  const invocationFailure = shape.code.startsWith('FUNCTION_') || errorCatalogue[shape.code].fault === 'system' || ['CALL_DEPTH_EXCEEDED', 'RPC_METHOD_NOT_FOUND', 'RATE_LIMITED'].includes(shape.code);
  return invocationFailure ? shape : null;
}

function errorShapeOf(text: string): ErrorShape | null {
  try {
    const error = (JSON.parse(text) as Partial<ErrorBody>).error;
    return isErrorShape(error) ? error : null;
  } catch {
    return null;
  }
}

function coldStartOf(headers: Headers): boolean | null {
  const value = headers.get(platformHeaders.coldStart);
  return value === null ? null : value === 'true';
}

function versionOf(headers: Headers): number | null {
  const value = headers.get(platformHeaders.version);
  return value === null ? null : Number(value);
}

function checkFlags(flags: InvokeFlags): void {
  if (flags.data !== undefined && flags.file !== undefined) throw new UsageError('give the body with --data or --file, not both', usage);
  if (flags.rpc !== undefined) {
    const conflicting = (['data', 'file', 'method', 'path', 'async', 'wait'] as const).filter((flag) => flags[flag] !== undefined);
    if (conflicting.length > 0) {
      throw new UsageError(`--rpc takes its arguments from --args; it does not go with ${conflicting.map((flag) => `--${flag}`).join(', ')}`, usage);
    }
  } else if (flags.args !== undefined) {
    throw new UsageError('--args goes with --rpc METHOD (the RPC method to call)', usage);
  }
  if (flags.path !== undefined && !flags.path.startsWith('/')) throw new UsageError(`--path must start with /, like /cart/42; got ${JSON.stringify(flags.path)}`, usage);
  if (flags.method !== undefined && !/^[A-Za-z]+$/.test(flags.method)) throw new UsageError(`--method must be an HTTP method such as GET or POST; got ${JSON.stringify(flags.method)}`, usage);
}

function parseHeaders(lines: string[]): [string, string][] {
  return lines.map((line) => {
    const colon = line.indexOf(':');
    const headerName = colon === -1 ? '' : line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(headerName)) throw new UsageError(`-H takes "Name: value", got ${JSON.stringify(line)}`, usage);
    return [headerName.toLowerCase(), line.slice(colon + 1).trim()];
  });
}

function hasHeader(headers: [string, string][], headerName: string): boolean {
  return headers.some(([key]) => key === headerName);
}

function parseArgs(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--args must be JSON (a JSON array of the method's arguments, such as '["A1", 2]'): ${(error as Error).message}`, usage);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`--args must be a JSON array of the method's arguments, such as '["A1", 2]' (one argument: '[${text}]')`, usage);
  return parsed;
}

/** --data, --file, or piped standard input; undefined for none. */
async function requestBody(flags: InvokeFlags): Promise<{ bytes: Uint8Array; contentType: string } | undefined> {
  if (flags.data !== undefined) return { bytes: Buffer.from(flags.data), contentType: looksLikeJson(flags.data) ? 'application/json' : 'text/plain; charset=utf-8' };
  let bytes: Buffer;
  if (flags.file !== undefined) {
    try {
      bytes = flags.file === '-' ? await readStdin() : readFileSync(flags.file);
    } catch (error) {
      throw new CliError(`cannot read --file ${flags.file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  } else if (stdinIsPiped()) {
    bytes = await readStdin();
    if (bytes.length === 0) return undefined;
  } else {
    return undefined;
  }
  const text = bytes.toString('utf8');
  const contentType = looksLikeJson(text) || flags.file?.endsWith('.json') ? 'application/json' : isText(bytes, text) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
  return { bytes, contentType };
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

function isText(bytes: Buffer, text: string): boolean {
  return !text.includes('\uFFFD') && !bytes.includes(0);
}
