// The Fetch "Body" mixin shared by Request and Response. A body is either buffered bytes (every
// BodyInit except a ReadableStream, and the incoming request) or a ReadableStream. Buffered
// bodies stay buffered until user code asks for `body`: only then is a stream made, and reads
// go through it from that point on. The dispatcher takes buffered bytes synchronously.
import { decodeUtf8, encodeUtf8 } from './text-encoding.js';
import { disturbedStream, isDisturbed, isReadableStream, readAllBytes, streamOfBytes, teeStream, type ReadableStream } from './streams.js';
import { URLSearchParams } from './url.js';
import { toUSVString } from './webidl.js';
import { jsonParse } from '../primordials.js';

/** Where a body's bytes are: in a buffer, or in a stream. */
export type BodySource = { bytes: Uint8Array; stream: null } | { bytes: null; stream: ReadableStream<Uint8Array> };

/** A body as extracted from BodyInit: its source and the Content-Type it implies, if any. */
export interface ExtractedBody {
  source: BodySource;
  contentType: string | null;
}

const buffered = (bytes: Uint8Array, contentType: string | null): ExtractedBody => ({ source: { bytes, stream: null }, contentType });

/** Extracts a body from a BodyInit value; null and undefined mean "no body". */
export function extractBody(init: unknown): ExtractedBody | null {
  if (init === null || init === undefined) return null;
  if (typeof init === 'string') return buffered(encodeUtf8(init), 'text/plain;charset=UTF-8');
  // Copies: the caller may keep writing into its buffer after constructing the body.
  if (init instanceof ArrayBuffer) return buffered(new Uint8Array(init.slice(0)), null);
  if (ArrayBuffer.isView(init)) return buffered(new Uint8Array(init.buffer, init.byteOffset, init.byteLength).slice(), null);
  if (init instanceof URLSearchParams) return buffered(encodeUtf8(init.toString()), 'application/x-www-form-urlencoded;charset=UTF-8');
  if (isReadableStream(init)) {
    if (init.locked || isDisturbed(init)) throw new TypeError('The body stream is disturbed or locked: it cannot become a body');
    return { source: { bytes: null, stream: init as ReadableStream<Uint8Array> }, contentType: null };
  }
  // WebIDL: any other value converts to USVString, so `new Response({})` is "[object Object]".
  return buffered(encodeUtf8(toUSVString(init)), 'text/plain;charset=UTF-8');
}

/** The spec's "unusable": used, or its stream locked (clone() and new Request(request) refuse it). */
export let isBodyUnusable: (body: Body) => boolean;
/** The body's source, or null for no body (Request checks GET/HEAD against it). */
export let bodySourceOf: (body: Body) => BodySource | null;
/** For clone(): the clone's source. A stream body is teed, and this body keeps one branch. */
export let cloneBodySource: (body: Body) => BodySource | null;
/** For a Request made from another: moves the source out and leaves the input used. */
export let takeBodySource: (body: Body) => BodySource | null;
/**
 * For the dispatcher: marks the body used and returns its bytes, synchronously when buffered
 * or as a stream still to read. Throws a TypeError when the body is used or locked.
 */
export let takeBodyForDispatch: (body: Body) => { bytes: Uint8Array | null } | { stream: ReadableStream<Uint8Array> };

const USED = 'Body has already been used: it can be read only once (clone() it first)';
const LOCKED = 'Body is locked: its stream (body) has a reader';

/** Base class of Request and Response: the Fetch Body mixin. */
export abstract class Body {
  #bytes: Uint8Array | null;
  #stream: ReadableStream<Uint8Array> | null;
  #used = false;

  static {
    isBodyUnusable = (body) => body.#isUsed() || body.#stream?.locked === true;
    bodySourceOf = (body) => body.#source();
    cloneBodySource = (body) => {
      if (body.#stream === null) return body.#source();
      const [kept, cloned] = teeStream(body.#stream);
      body.#stream = kept;
      return { bytes: null, stream: cloned };
    };
    takeBodySource = (body) => {
      const source = body.#source();
      if (source === null) return null;
      body.#used = true;
      if (body.#stream !== null) body.#stream = disturbedStream();
      return source;
    };
    takeBodyForDispatch = (body) => {
      body.#checkUsable();
      if (body.#stream !== null) return { stream: body.#stream };
      if (body.#bytes !== null) body.#used = true;
      return { bytes: body.#bytes };
    };
  }

  protected constructor(source: BodySource | null) {
    this.#bytes = source === null ? null : source.bytes;
    this.#stream = source === null ? null : source.stream;
  }

  /** The body as a ReadableStream of Uint8Array, or null for no body. The same stream each time. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream === null && this.#bytes !== null) {
      this.#stream = this.#used ? disturbedStream() : streamOfBytes(this.#bytes);
    }
    return this.#stream;
  }

  /** True once a body has been read or its stream disturbed (a null body is never used). */
  get bodyUsed(): boolean {
    return this.#isUsed();
  }

  // Buffered bytes are copied (they are shared with clones); a stream's are read into a new buffer.
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#consume();
    if (bytes === null) return new ArrayBuffer(0);
    return (bytes instanceof Uint8Array ? bytes.slice() : await bytes).buffer as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    const bytes = this.#consume();
    if (bytes === null) return new Uint8Array(0);
    return bytes instanceof Uint8Array ? bytes.slice() : await bytes;
  }

  async text(): Promise<string> {
    const bytes = this.#consume();
    const result = bytes instanceof Uint8Array || bytes === null ? bytes : await bytes;
    return result === null ? '' : decodeUtf8(result);
  }

  async json(): Promise<unknown> {
    return jsonParse(await this.text());
  }

  #source(): BodySource | null {
    if (this.#stream !== null) return { bytes: null, stream: this.#stream };
    return this.#bytes === null ? null : { bytes: this.#bytes, stream: null };
  }

  #isUsed(): boolean {
    return this.#used || (this.#stream !== null && isDisturbed(this.#stream));
  }

  #checkUsable(): void {
    if (this.#isUsed()) throw new TypeError(USED);
    if (this.#stream?.locked === true) throw new TypeError(LOCKED);
  }

  /**
   * Runs synchronously inside the async methods, so bodyUsed flips as soon as they are called:
   * buffered bytes directly, a stream by locking it and starting to read.
   */
  #consume(): Uint8Array | null | Promise<Uint8Array> {
    this.#checkUsable();
    if (this.#stream !== null) return readAllBytes(this.#stream);
    if (this.#bytes !== null) this.#used = true;
    return this.#bytes;
  }
}
