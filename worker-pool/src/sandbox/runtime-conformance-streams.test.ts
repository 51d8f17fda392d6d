// Streams (web-streams-polyfill in the sandbox) and streamed Request/Response bodies, compared
// with Node's own (part one); then fetch handlers that return stream bodies, through dispatch()
// and through the host's FunctionInstance (the response cap and the wall-clock deadline).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest, type InvocationRequest } from '@isola/core';
import { FunctionInstance, ModuleCodeCache } from './function-instance.js';
import { prepareIsolate } from './prepared-isolate.js';
import { RuntimeScript } from './runtime-script.js';
import {
  assertFailed,
  assertOk,
  bodyText,
  describeConformance,
  disposeLoadedFunctions,
  loadFunction,
  messages,
  type ConformanceCases,
} from './runtime-test-harness.js';

const HELPERS = `const readAll = async (stream) => { const reader = stream.getReader(); const out = []; for (;;) { const { done, value } = await reader.read(); if (done) return out; out.push(value); } };
  const text = (chunks) => chunks.map((c) => typeof c === 'string' ? c : new TextDecoder().decode(c)).join('');
  const rejection = async (fn) => { try { await fn(); return 'resolved'; } catch (e) { return [e.name, e.message]; } };
  const errorName = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return e.name; } };`;

const conformanceCases: ConformanceCases = {
  ReadableStream: {
    'enqueue, close and read': `${HELPERS}
      const s = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue(1); c.enqueue({ o: true }); c.close(); } });
      const before = s.locked; const reader = s.getReader(); const locked = s.locked;
      const reads = [await reader.read(), await reader.read(), await reader.read(), await reader.read(), await reader.read()];
      reader.releaseLock();
      return [before, locked, s.locked, reads];`,
    'pull, highWaterMark and desiredSize': `${HELPERS} const log = [];
      const s = new ReadableStream({ pull(c) { log.push(['pull', c.desiredSize]); c.enqueue(log.length); if (log.length === 4) c.close(); } }, { highWaterMark: 2 });
      await null; await null; const early = log.length;
      return [early, await readAll(s), log];`,
    'cancel and errors': `${HELPERS} const cancelled = [];
      const s = new ReadableStream({ start(c) { c.enqueue(1); }, cancel(reason) { cancelled.push(reason); } });
      const cancelResult = await s.cancel('enough'); const afterCancel = await s.getReader().read();
      const failing = new ReadableStream({ start(c) { c.error(new RangeError('source broke')); } });
      const erroring = new ReadableStream({ pull() { throw new SyntaxError('pull broke'); } });
      return [cancelResult, cancelled, afterCancel, await rejection(() => failing.getReader().read()), await rejection(() => erroring.getReader().read()), await errorName(() => readAll(failing))];`,
    'locking and argument errors': `${HELPERS}
      const s = new ReadableStream(); s.getReader();
      return [await errorName(() => s.getReader()), await errorName(() => s.cancel()), await errorName(() => new ReadableStream({ type: 'nope' })), await errorName(() => new ReadableStream({}, { highWaterMark: -1 })),
        await errorName(() => ReadableStream.prototype.getReader.call({})), await errorName(() => new ReadableStreamDefaultReader(s)), await errorName(() => new ReadableStreamDefaultController())];`,
    'async iteration, break cancels': `const cancelled = []; let n = 0;
      const s = new ReadableStream({ pull(c) { c.enqueue(++n); }, cancel(reason) { cancelled.push(String(reason)); } });
      const seen = []; for await (const chunk of s) { seen.push(chunk); if (chunk === 3) break; }
      const kept = new ReadableStream({ start(c) { c.enqueue('x'); c.enqueue('y'); c.close(); } }); const all = [];
      for await (const chunk of kept.values({ preventCancel: true })) all.push(chunk);
      return [seen, cancelled, s.locked, all];`,
    'ReadableStream.from and tee': `${HELPERS}
      async function* gen() { yield 'g1'; yield 'g2'; }
      const [a, b] = ReadableStream.from(['x', 'y', 'z']).tee();
      return [await readAll(ReadableStream.from(gen())), await readAll(a), await readAll(b), await errorName(() => ReadableStream.from(5))];`,
    'byte streams and BYOB readers': `const s = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5])); c.close(); } });
      const reader = s.getReader({ mode: 'byob' });
      const first = await reader.read(new Uint8Array(2)); const second = await reader.read(new Uint8Array(8)); const end = await reader.read(new Uint8Array(1));
      return [Array.from(first.value), first.done, Array.from(second.value), second.value.byteLength, end.done, end.value.byteLength];`,
  },
  WritableStream: {
    'write, close, abort and backpressure': `${HELPERS} const written = [];
      const w = new WritableStream({ write(chunk) { written.push(chunk); }, close() { written.push('closed'); } }, { highWaterMark: 2 });
      const writer = w.getWriter(); const size = writer.desiredSize; await writer.ready;
      await writer.write('a'); await writer.write('b'); await writer.close();
      const aborted = [];
      const w2 = new WritableStream({ abort(reason) { aborted.push(reason); } }); await w2.abort('stop');
      const failing = new WritableStream({ write() { throw new TypeError('sink broke'); } }); const fw = failing.getWriter();
      return [size, written, w.locked, aborted, await rejection(() => fw.write('x')), await rejection(() => fw.closed), await errorName(() => w.getWriter())];`,
  },
  TransformStream: {
    'pipeThrough, flush and pipeTo': `${HELPERS}
      const upper = new TransformStream({ transform(chunk, c) { c.enqueue(String(chunk).toUpperCase()); }, flush(c) { c.enqueue('!'); } });
      const piped = await readAll(ReadableStream.from(['a', 'b']).pipeThrough(upper));
      const sink = []; await ReadableStream.from([1, 2, 3]).pipeTo(new WritableStream({ write(chunk) { sink.push(chunk); } }));
      const identity = new TransformStream(); const writer = identity.writable.getWriter(); writer.write('through'); writer.close();
      return [piped, sink, await readAll(identity.readable)];`,
    'pipeTo with an aborted signal': `${HELPERS}
      const c = new AbortController(); c.abort(new RangeError('stop piping'));
      const aborted = await rejection(() => new ReadableStream().pipeTo(new WritableStream(), { signal: c.signal }));
      return [aborted, await errorName(() => new ReadableStream().pipeTo({}))];`,
  },
  'queuing strategies and names': {
    'strategies': `return [new ByteLengthQueuingStrategy({ highWaterMark: 16 }).size(new Uint8Array(5)), new ByteLengthQueuingStrategy({ highWaterMark: 16 }).highWaterMark, new CountQueuingStrategy({ highWaterMark: 3 }).size('x'), new CountQueuingStrategy({ highWaterMark: 3 }).highWaterMark];`,
    'names and toStringTag': `const names = ['ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest', 'ReadableStreamDefaultController', 'ReadableByteStreamController',
        'WritableStream', 'WritableStreamDefaultWriter', 'WritableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'TextEncoderStream', 'TextDecoderStream'];
      // Node 20's TextEncoderStream and TextDecoderStream lack a toStringTag (browsers have it).
      return names.map((name) => [name, globalThis[name].name, name.startsWith('Text') || Object.prototype.toString.call(globalThis[name].prototype), Object.keys(globalThis).includes(name)]);`,
  },
  'TextEncoderStream and TextDecoderStream': {
    'split characters and surrogate pairs': `${HELPERS}
      const bytes = new TextEncoder().encode('h€llo 😀');
      const decoded = await readAll(ReadableStream.from([bytes.slice(0, 2), bytes.slice(2, 3), bytes.slice(3, 9), bytes.slice(9)]).pipeThrough(new TextDecoderStream()));
      const encoded = await readAll(ReadableStream.from(['a\\uD83D', '\\uDE00b', '\\uD800']).pipeThrough(new TextEncoderStream()));
      const d = new TextDecoderStream('utf-8', { fatal: true, ignoreBOM: true }); const e = new TextEncoderStream();
      return [decoded.join('|'), encoded.map((c) => Array.from(c)), [d.encoding, d.fatal, d.ignoreBOM, e.encoding], await errorName(() => new TextDecoderStream('no-such-encoding'))];`,
  },
  'Response body streams': {
    'body of a buffered body: one stream, chunks of Uint8Array, bodyUsed': `${HELPERS}
      const r = new Response('abc'); const body = r.body; const state = [body === r.body, body.locked, r.bodyUsed, Object.prototype.toString.call(body)];
      const reader = body.getReader(); const first = await reader.read();
      return [state, first.value.constructor.name, Array.from(first.value), r.bodyUsed, await reader.read(), await errorName(() => r.text()), new Response(null).body, new Response(null).bodyUsed];`,
    'empty body, body after text(), a locked body': `${HELPERS}
      const empty = new Response(''); const emptyRead = await empty.body.getReader().read();
      const read = new Response('xyz'); await read.text();
      const locked = new Response('q'); locked.body.getReader();
      const teed = new Response('t'); teed.body.tee();
      return [emptyRead, empty.bodyUsed, read.bodyUsed, read.body.locked, await errorName(() => read.body.getReader()),
        locked.bodyUsed, await errorName(() => locked.text()), await errorName(() => locked.clone()), teed.bodyUsed, await errorName(() => teed.text())];`,
    'a ReadableStream as the body': `${HELPERS}
      const s = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('he')); c.enqueue(new Uint8Array([108, 108, 111])); c.close(); } });
      const r = new Response(s); const state = [r.body === s, [...r.headers], r.bodyUsed];
      const copy = r.clone();
      const multi = new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1, 2])); c.enqueue(new Uint8Array(0)); c.enqueue(new Uint8Array([3])); c.close(); } }));
      const json = new Response(ReadableStream.from([new TextEncoder().encode('{"a":'), new TextEncoder().encode('[1]}')]));
      return [state, r.body === s, await r.text(), await copy.text(), r.bodyUsed, Array.from(new Uint8Array(await multi.arrayBuffer())), await json.json()];`,
    'bad stream bodies': `${HELPERS}
      const chunkOf = (chunk) => new Response(new ReadableStream({ start(c) { c.enqueue(chunk); c.close(); } }));
      const locked = new ReadableStream(); locked.getReader();
      const disturbed = new ReadableStream({ start(c) { c.close(); } }); await disturbed.getReader().read();
      const failing = new Response(new ReadableStream({ start(c) { c.error(new RangeError('boom')); } }));
      return [await errorName(() => chunkOf('str').text()), await errorName(() => chunkOf(new DataView(new ArrayBuffer(2))).text()), await errorName(() => chunkOf(new Uint16Array(1)).text()),
        await errorName(() => chunkOf(new ArrayBuffer(1)).text()), await rejection(() => failing.text()), await errorName(() => new Response(locked)), await errorName(() => new Response(disturbed)),
        await errorName(() => new Response(new ReadableStream(), { status: 204 }))];`,
    'BYOB reads and piping a body': `${HELPERS}
      const big = new Response(new Uint8Array(1000).fill(7)); const reader = big.body.getReader({ mode: 'byob' }); const part = await reader.read(new Uint8Array(10));
      const decoded = await readAll(new Response('pipe me ü').body.pipeThrough(new TextDecoderStream()));
      return [part.value.length, part.done, part.value[9], decoded.join('')];`,
  },
  'Request body streams': {
    'a stream body with duplex: half, and taking it over': `${HELPERS}
      const stream = () => new ReadableStream({ start(c) { c.enqueue(new Uint8Array([65, 66])); c.close(); } });
      const r = new Request('http://a.com', { method: 'POST', body: stream(), duplex: 'half' }); const state = [[...r.headers], r.bodyUsed, r.body instanceof ReadableStream];
      const taken = new Request(r); const takenState = [r.bodyUsed, taken.bodyUsed];
      const cloned = new Request('http://a.com', { method: 'PUT', body: stream(), duplex: 'half' }); const twin = cloned.clone();
      return [state, takenState, await errorName(() => r.text()), await taken.text(), await cloned.text(), await twin.text(), new Request('http://a.com').body,
        await errorName(() => new Request('http://a.com', { method: 'POST', body: stream(), duplex: 'full' })), await errorName(() => new Request('http://a.com', { body: stream(), duplex: 'half' }))];`,
    'a buffered request body as a stream': `${HELPERS}
      const r = new Request('http://a.com', { method: 'POST', body: 'streamed' }); const chunks = await readAll(r.body);
      return [text(chunks), r.bodyUsed, await errorName(() => r.text()), await errorName(() => r.clone())];`,
  },
};

describeConformance('streams and streamed bodies: conformance with Node', conformanceCases);

describe('dispatch with stream bodies', () => {
  after(disposeLoadedFunctions);

  test('a Response whose body is a ReadableStream is read to the end, however it is fed', async () => {
    const fn = await loadFunction(`export default {
      async fetch(request, env, ctx) {
        const path = new URL(request.url).pathname;
        if (path === '/pull') {
          let n = 0;
          return new Response(new ReadableStream({ async pull(c) { await null; n += 1; if (n > 3) c.close(); else c.enqueue(new TextEncoder().encode('chunk' + n + ';')); } }), { headers: { 'content-type': 'text/plain' } });
        }
        if (path === '/transform') {
          const { readable, writable } = new TransformStream();
          ctx.waitUntil((async () => { const w = writable.getWriter(); for (const part of ['a', 'b', 'c']) { await null; await w.write(new TextEncoder().encode(part)); } await w.close(); })());
          return new Response(readable.pipeThrough(new TextDecoderStream()).pipeThrough(new TextEncoderStream()));
        }
        if (path === '/echo') return new Response(request.body, { status: 201 });
        if (path === '/text-of-request-stream') return new Response(await new Response(request.body).text() + '!');
        if (path === '/touched') { const r = new Response('buffered'); console.log(r.body.locked); return r; }
        if (path === '/empty') return new Response(new ReadableStream({ start(c) { c.close(); } }));
      },
    };`);
    const at = (path: string, body?: string) =>
      fn.dispatch({ method: body === undefined ? 'GET' : 'POST', url: `https://fn.example${path}` }, body === undefined ? undefined : new TextEncoder().encode(body));

    const pull = await at('/pull');
    assertOk(pull);
    assert.deepEqual([pull.status, pull.headers, bodyText(pull.body)], [200, [['content-type', 'text/plain']], 'chunk1;chunk2;chunk3;']);
    const transform = await at('/transform');
    assertOk(transform);
    assert.equal(bodyText(transform.body), 'abc');
    const echo = await at('/echo', 'sent back');
    assertOk(echo);
    assert.deepEqual([echo.status, bodyText(echo.body)], [201, 'sent back']);
    const requestStream = await at('/text-of-request-stream', 'request body');
    assertOk(requestStream);
    assert.equal(bodyText(requestStream.body), 'request body!');
    const touched = await at('/touched');
    assertOk(touched);
    assert.deepEqual([bodyText(touched.body), messages(touched.logs)], ['buffered', [['log', 'false']]]);
    const empty = await at('/empty');
    assertOk(empty);
    assert.equal(empty.body?.byteLength, 0);
  });

  test('a stream that errors, yields non-bytes or is locked is a FUNCTION_ERROR', async () => {
    const fn = await loadFunction(`export default {
      fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === '/errors') return new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); }, pull(c) { c.error(new RangeError('source failed')); } }));
        if (path === '/string-chunk') return new Response(new ReadableStream({ start(c) { c.enqueue('not bytes'); c.close(); } }));
        const locked = new Response(new ReadableStream()); locked.body.getReader(); return locked;
      },
    };`);
    const errors = await fn.dispatch({ url: 'https://fn.example/errors' });
    assertFailed(errors, 'FUNCTION_ERROR');
    assert.deepEqual([errors.error.message, errors.error.details?.name], ['source failed', 'RangeError']);
    const stringChunk = await fn.dispatch({ url: 'https://fn.example/string-chunk' });
    assertFailed(stringChunk, 'FUNCTION_ERROR');
    assert.match(stringChunk.error.message, /not a Uint8Array/);
    const locked = await fn.dispatch({ url: 'https://fn.example/locked' });
    assertFailed(locked, 'FUNCTION_ERROR');
    assert.match(locked.error.message, /locked/);
  });

  test('user patches to the stream prototypes do not change how the runtime reads a body', async () => {
    const fn = await loadFunction(`export default {
      fetch() {
        const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('intact')); c.close(); } });
        ReadableStream.prototype.getReader = () => { throw new Error('patched getReader'); };
        ReadableStreamDefaultReader.prototype.read = () => Promise.reject(new Error('patched read'));
        Uint8Array.prototype.set = () => { throw new Error('patched set'); };
        return new Response(body);
      },
    };`);
    const result = await fn.dispatch();
    assertOk(result);
    assert.equal(bodyText(result.body), 'intact');
  });

  test('reading stops at maxResponseBytes: FUNCTION_RESPONSE_TOO_LARGE, and the stream is canceled', async () => {
    const fn = await loadFunction(`export default {
      fetch() {
        let sent = 0;
        return new Response(new ReadableStream({
          pull(c) { sent += 1; c.enqueue(new Uint8Array(1000)); },
          cancel(reason) { console.log('canceled after', sent, 'chunks:', reason.message); },
        }));
      },
    };`);
    const result = await fn.dispatch({ maxResponseBytes: 4500 });
    assertFailed(result, 'FUNCTION_RESPONSE_TOO_LARGE');
    assert.equal(result.error.message, 'the response body stream went past the limit of 4500 bytes; reading stopped and the stream was canceled');
    // Five chunks pass the cap; the stream may have pulled one more ahead (its highWaterMark).
    assert.equal(result.logs.length, 1);
    assert.match(result.logs[0]?.message ?? '', /^canceled after [56] chunks: the body stream went past the limit of 4500 bytes$/);
  });
});

describe('stream bodies through the host (FunctionInstance)', () => {
  const runtime = new RuntimeScript();
  const instances: FunctionInstance[] = [];
  after(() => {
    for (const instance of instances) instance.dispose();
  });

  async function load(code: string, timeoutMs: number, maxResponseBytes: number): Promise<FunctionInstance> {
    const prepared = await prepareIsolate(runtime, { memoryMb: 64, onCatastrophicError: () => undefined });
    const manifest = parseManifest({ name: 'streams', main: 'index.js', limits: { timeoutMs, memoryMb: 64 } });
    const version = { name: 'streams', version: 1, codeHash: `h-${instances.length}`, manifest, createdAt: new Date(0).toISOString(), code };
    const instance = await FunctionInstance.load(prepared, version, { maxLogBytes: 64 * 1024, maxResponseBytes, maxFetches: 50, codeCache: new ModuleCodeCache() });
    instances.push(instance);
    return instance;
  }

  const request = (path: string): InvocationRequest => ({
    invocationId: `inv-${path}`,
    function: { name: 'streams', version: 1, codeHash: 'h' },
    limits: { memoryMb: 64, timeoutMs: 300, concurrency: 1 },
    trigger: 'http',
    request: { method: 'GET', url: `https://fn.example${path}`, headers: [] },
  });

  test('a stream body is returned whole; one that never ends hits the deadline; one that grows hits the cap', async () => {
    const instance = await load(
      `export default {
        fetch(request) {
          const path = new URL(request.url).pathname;
          if (path === '/ok') return new Response(ReadableStream.from(['a', 'b']).pipeThrough(new TextEncoderStream()));
          if (path === '/endless') return new Response(new ReadableStream({ pull() { return new Promise(() => {}); } }));
          return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(64 * 1024)); } }));
        },
      };`,
      300,
      1024 * 1024,
    );
    const ok = await instance.dispatch(request('/ok'));
    assert.equal(ok.ok, true);
    assert.equal(ok.ok && new TextDecoder().decode(ok.response.body), 'ab');

    const growing = await instance.dispatch(request('/growing'));
    assert.deepEqual(growing.ok ? 'ok' : growing.error.code, 'FUNCTION_RESPONSE_TOO_LARGE');
    assert.equal(instance.usable, true);

    const endless = await instance.dispatch(request('/endless'));
    assert.deepEqual(endless.ok ? 'ok' : endless.error.code, 'FUNCTION_TIMEOUT');
  });
});
