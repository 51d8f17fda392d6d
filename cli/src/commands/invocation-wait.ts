import type { InvocationRecord } from '@isola/core';
import { ApiError } from '@isola/core';
import { CliError } from './cli-errors.js';
import { note, printJson, type Platform } from './platform-options.js';
import { statusLine } from './invocation-output.js';

/**
 * `isola invoke --async --wait`: polls the invocation's record until it is final, showing its
 * state on stderr as it changes, then prints the result as a sync invocation would (the record
 * keeps the body's first 4 KiB). A failed invocation (every try failed) exits 1.
 */
export async function waitForInvocation(platform: Platform, id: string, verbose: boolean): Promise<void> {
  note(`Queued invocation ${id}; waiting for it to end (Ctrl+C stops waiting, not the invocation)…`);
  let shown = '';
  let delayMs = 100;
  let record: InvocationRecord;
  for (;;) {
    const found = await platform.client.invocation(id).catch((error: unknown) => {
      // The record of a just-accepted invocation may not be readable at once on every gateway.
      if (error instanceof ApiError && error.httpStatus === 404) return null;
      throw error;
    });
    if (found !== null && (found.status === 'succeeded' || found.status === 'failed')) {
      record = found;
      break;
    }
    if (found !== null) {
      const state =
        found.status === 'retrying'
          ? `retrying: try ${found.attempts.length} of ${found.async?.maxAttempts ?? '?'} failed (${found.attempts.at(-1)?.error?.message ?? 'error'})${found.async?.nextAttemptAt === undefined ? '' : `; next try at ${found.async.nextAttemptAt}`}`
          : found.status;
      if (state !== shown) note(`… ${state}`);
      shown = state;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 1_000);
  }

  const result = record.result;
  const output = {
    status: result?.status ?? record.httpStatus,
    headers: Object.fromEntries(result?.headers ?? []),
    body: result?.body ?? '',
    invocationId: record.id,
    coldStart: record.coldStart,
    version: record.version,
  };
  const failed = record.status === 'failed';
  if (platform.json) {
    printJson({ ...output, state: record.status, attempts: record.attempts.length, bodyTruncated: result?.bodyTruncated ?? false, ...(record.error === undefined ? {} : { error: record.error }) });
  } else {
    if (verbose || output.status >= 400 || failed) note(`${statusLine(output, record.durationMs)} · ${record.attempts.length} ${record.attempts.length === 1 ? 'try' : 'tries'}`);
    if (!failed) {
      process.stdout.write(output.body);
      if (process.stdout.isTTY === true && output.body !== '' && !output.body.endsWith('\n')) process.stdout.write('\n');
      if (result?.bodyTruncated === true) note(`(the record keeps the first 4 KiB of the body; it had ${result.bodyBytes} bytes)`);
    }
  }
  if (failed) {
    throw new CliError(
      `invocation ${record.id} failed after ${record.attempts.length} ${record.attempts.length === 1 ? 'try' : 'tries'}: ${record.error === undefined ? 'no error recorded' : `${record.error.code}: ${record.error.message}`}`,
    );
  }
  if (output.status >= 500) process.exitCode = 1;
}
