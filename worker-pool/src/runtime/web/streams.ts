// WHATWG Streams from web-streams-polyfill (its ponyfill build: the spec's reference
// implementation, ~62 KB minified, the largest part of the runtime), plus the helpers that
// Request/Response bodies and the dispatcher use to read them.
//
// The polyfill keeps its state in underscore-prefixed instance properties; `_disturbed` is
// read here because the spec's "disturbed" flag (bodyUsed) has no public accessor.
import { ReadableStream, ReadableStreamDefaultReader } from 'web-streams-polyfill';
import type { ReadableStreamDefaultReadResult } from 'web-streams-polyfill';

export { ReadableStream, ReadableStreamDefaultReader };
export {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableByteStreamController,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableStreamDefaultController,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
} from 'web-streams-polyfill';

// Captured at load: the runtime reads bodies through these even if user code patches the prototypes.
const reflectApply = Reflect.apply;
const getReader = ReadableStream.prototype.getReader;
const tee = ReadableStream.prototype.tee;
const read = ReadableStreamDefaultReader.prototype.read;
const cancel = ReadableStreamDefaultReader.prototype.cancel;
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayName = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get!;
const typedArraySet = (typedArrayPrototype as { set: Uint8Array['set'] }).set;

/** Thrown by readAllBytes past its limit; the stream has been canceled. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the body stream went past the limit of ${limit} bytes`);
  }
}

export function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return value instanceof ReadableStream;
}

/** The spec's "disturbed": read from or canceled at least once. */
export function isDisturbed(stream: ReadableStream<unknown>): boolean {
  return (stream as unknown as { _disturbed?: boolean })._disturbed === true;
}

/** A byte stream that yields a copy of `bytes` in one chunk, then closes: a buffered body's `body`. */
export function streamOfBytes(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
      controller.close();
    },
  });
}

/** A locked, disturbed, closed stream: the `body` of a body already read through a buffer. */
export function disturbedStream(): ReadableStream<Uint8Array> {
  const stream = streamOfBytes(new Uint8Array(0));
  void reflectApply(read, reflectApply(getReader, stream, []), []);
  return stream;
}

export function teeStream(stream: ReadableStream<Uint8Array>): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
  return reflectApply(tee, stream, []) as [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>];
}

/**
 * Reads a stream to its end and concatenates its chunks, which must be Uint8Arrays (as in
 * Node and Workers). Locks and disturbs the stream synchronously, so `bodyUsed` is true as soon
 * as a body method is called. Past `limit` bytes it cancels the stream and throws
 * BodyTooLargeError.
 */
export async function readAllBytes(stream: ReadableStream<unknown>, limit = Infinity): Promise<Uint8Array> {
  const reader = reflectApply(getReader, stream, []) as ReadableStreamDefaultReader<unknown>;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = (await reflectApply(read, reader, [])) as ReadableStreamDefaultReadResult<unknown>;
    if (done) break;
    if (reflectApply(typedArrayName, value, []) !== 'Uint8Array') {
      throw new TypeError('The body stream produced a chunk that is not a Uint8Array');
    }
    const chunk = value as Uint8Array;
    total += chunk.byteLength;
    if (total > limit) {
      const error = new BodyTooLargeError(limit);
      // Not awaited: a source whose cancel() never settles must not hold the caller.
      void (async () => {
        try {
          await reflectApply(cancel, reader, [error]);
        } catch {
          // The source's cancel() threw; the body is refused either way.
        }
      })();
      throw error;
    }
    chunks[chunks.length] = chunk;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    reflectApply(typedArraySet, bytes, [chunk, offset]);
    offset += chunk.byteLength;
  }
  return bytes;
}
