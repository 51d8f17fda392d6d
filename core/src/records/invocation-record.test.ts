import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogLine } from '../invocation/types.js';
import { recordLimits, serializeInvocationRecord, toInvocationRecord } from './invocation-record.js';
import { finishedInvocation } from './test-invocations.js';
import { cutToJsonBytes, utf8Excerpt } from './text-excerpt.js';

const lines = (count: number, message: (index: number) => string): LogLine[] =>
  Array.from({ length: count }, (_, index) => ({ level: 'log' as const, time: 1_700_000_000_000 + index, message: message(index) }));

test('a 500 returned by the function is a succeeded invocation; an error outcome is failed with its status', () => {
  const returned500 = toInvocationRecord(finishedInvocation({ status: 500, body: 'oops' }));
  assert.equal(returned500.status, 'succeeded');
  assert.equal(returned500.httpStatus, 500);
  assert.equal(returned500.error, undefined);
  assert.deepEqual(returned500.result?.body, 'oops');

  const timedOut = toInvocationRecord(finishedInvocation({ error: { code: 'FUNCTION_TIMEOUT', message: 'over 10000 ms' } }));
  assert.equal(timedOut.status, 'failed');
  assert.equal(timedOut.httpStatus, 504);
  assert.deepEqual(timedOut.error, { code: 'FUNCTION_TIMEOUT', message: 'over 10000 ms' });
  assert.equal(timedOut.result, undefined);
  assert.deepEqual(timedOut.attempts, [{ attempt: 1, startedAt: timedOut.startedAt, durationMs: timedOut.durationMs, status: 'failed', error: timedOut.error }]);
});

test('timings: the platform share is the duration minus the handler time; start is receipt time', () => {
  const record = toInvocationRecord(finishedInvocation({ elapsedMs: 12.3456, coldStart: true }), Date.parse('2025-01-01T00:00:01.000Z'));
  assert.equal(record.startedAt, '2025-01-01T00:00:00.988Z');
  assert.equal(record.durationMs, 12.346);
  assert.deepEqual(record.timings, { platformMs: 1, loadMs: 2, runMs: 11.346, cpuMs: 0.5 });
  assert.equal(record.coldStart, true);
});

test('a huge body, 1,000 log lines, huge headers and error details keep the record under 16 KiB', () => {
  const body = new Uint8Array(6 * 1024 * 1024).fill(0x01); // control characters: six bytes each in JSON
  const headers: [string, string][] = Array.from({ length: 100 }, (_, index) => [`x-header-${index}`, '"'.repeat(3000)]);
  const record = toInvocationRecord(finishedInvocation({ body, headers, logs: lines(1000, (index) => `line ${index} ${'\u0000'.repeat(500)}`), logsTruncated: false }));
  const json = serializeInvocationRecord(record);
  assert.ok(Buffer.byteLength(json) <= recordLimits.recordBytes, `record is ${Buffer.byteLength(json)} bytes`);
  assert.equal(record.result?.bodyBytes, body.byteLength);
  assert.equal(record.result?.bodyTruncated, true);
  assert.ok((record.result?.body.length ?? 0) > 0);
  assert.equal(record.result?.headersTruncated, true);
  assert.equal(record.logsTruncated, true);
  assert.ok(record.logs.length >= 1 && record.logs.length <= 20);

  const failed = toInvocationRecord(
    finishedInvocation({ error: { code: 'FUNCTION_ERROR', message: 'x'.repeat(100_000), details: { stack: 'y'.repeat(100_000) } }, logs: lines(1000, () => 'z'.repeat(4000)) }),
  );
  assert.ok(Buffer.byteLength(serializeInvocationRecord(failed)) <= recordLimits.recordBytes);
  assert.deepEqual(Object.keys(failed.error?.details as object), ['truncated', 'json']);
});

test('the log excerpt keeps the first 20 lines and marks anything cut, here or by the runtime', () => {
  const many = toInvocationRecord(finishedInvocation({ logs: lines(25, (index) => `line ${index}`) }));
  assert.deepEqual(
    many.logs.map((line) => line.message),
    Array.from({ length: 20 }, (_, index) => `line ${index}`),
  );
  assert.equal(many.logsTruncated, true);

  const few = toInvocationRecord(finishedInvocation({ logs: lines(3, (index) => `line ${index}`) }));
  assert.equal(few.logs.length, 3);
  assert.equal(few.logsTruncated, false);

  const cutByRuntime = toInvocationRecord(finishedInvocation({ logs: lines(3, (index) => `line ${index}`), logsTruncated: true }));
  assert.equal(cutByRuntime.logs.length, 3);
  assert.equal(cutByRuntime.logsTruncated, true);
});

test('a small body is kept whole and not marked truncated', () => {
  const record = toInvocationRecord(finishedInvocation({ body: 'héllo wörld' }));
  assert.deepEqual(record.result, { status: 200, headers: [['content-type', 'text/plain']], body: 'héllo wörld', bodyTruncated: false, bodyBytes: 13 });
  const empty = toInvocationRecord(finishedInvocation({}));
  assert.deepEqual(empty.result?.body, '');
  assert.equal(empty.result?.bodyTruncated, false);
});

test('excerpts never split a character and count JSON escapes', () => {
  const euro = new TextEncoder().encode('€'.repeat(2000)); // 3 bytes each
  const excerpt = utf8Excerpt(euro, 4096);
  assert.equal(excerpt.text, '€'.repeat(1365));
  assert.equal(excerpt.cut, true);
  assert.deepEqual(cutToJsonBytes('a"b', 3), { text: 'a"', jsonBytes: 3, cut: true });
  assert.deepEqual(cutToJsonBytes('😀😀', 5), { text: '😀', jsonBytes: 4, cut: true });
  assert.equal(cutToJsonBytes('\u0001', 5).text, '');
});
