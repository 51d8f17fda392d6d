// The Fetch "Body" mixin shared by Request and Response. Until ReadableStream arrives (a later
// issue), a body is a fully buffered byte array; `body` (the stream getter) is therefore not
// defined yet, and text()/json()/arrayBuffer()/bytes() read the buffer.
import { decodeUtf8, encodeUtf8 } from './text-encoding.js';
import { URLSearchParams } from './url.js';
import { toUSVString } from './webidl.js';
import { jsonParse } from '../primordials.js';

/** A body as extracted from BodyInit: its bytes and the Content-Type it implies, if any. */
export interface ExtractedBody {
  bytes: Uint8Array;
  contentType: string | null;
}

/** Extracts a body from a BodyInit value; null and undefined mean "no body". */
export function extractBody(init: unknown): ExtractedBody | null {
  if (init === null || init === undefined) return null;
  if (typeof init === 'string') return { bytes: encodeUtf8(init), contentType: 'text/plain;charset=UTF-8' };
  // Copies: the caller may keep writing into its buffer after constructing the body.
  if (init instanceof ArrayBuffer) return { bytes: new Uint8Array(init.slice(0)), contentType: null };
  if (ArrayBuffer.isView(init)) {
    const view = new Uint8Array(init.buffer, init.byteOffset, init.byteLength);
    return { bytes: view.slice(), contentType: null };
  }
  if (init instanceof URLSearchParams) {
    return { bytes: encodeUtf8(init.toString()), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  // WebIDL: any other value converts to USVString, so `new Response({})` is "[object Object]".
  return { bytes: encodeUtf8(toUSVString(init)), contentType: 'text/plain;charset=UTF-8' };
}

/** Internal accessors for Request/Response and the dispatcher (private state stays private). */
export let bodyBytesOf: (body: Body) => Uint8Array | null;
/** Marks the body used and returns its bytes; throws a TypeError if it was already read. */
export let consumeBody: (body: Body) => Uint8Array | null;
/** Marks the body used without reading it (a Request built from another takes its body). */
export let markBodyUsed: (body: Body) => void;

/** Base class of Request and Response: the Fetch Body mixin over a buffered body. */
export abstract class Body {
  readonly #bytes: Uint8Array | null;
  #used = false;

  static {
    bodyBytesOf = (body) => body.#bytes;
    consumeBody = (body) => body.#consume();
    markBodyUsed = (body) => {
      if (body.#bytes !== null) body.#used = true;
    };
  }

  protected constructor(bytes: Uint8Array | null) {
    this.#bytes = bytes;
  }

  /** True once a non-null body has been read (a null body can be "read" any number of times). */
  get bodyUsed(): boolean {
    return this.#used;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#consume();
    return bytes === null ? new ArrayBuffer(0) : bytes.slice().buffer;
  }

  async bytes(): Promise<Uint8Array> {
    const bytes = this.#consume();
    return bytes === null ? new Uint8Array(0) : bytes.slice();
  }

  async text(): Promise<string> {
    const bytes = this.#consume();
    return bytes === null ? '' : decodeUtf8(bytes);
  }

  async json(): Promise<unknown> {
    return jsonParse(await this.text());
  }

  // Runs synchronously inside the async methods, so bodyUsed flips as soon as they are called.
  #consume(): Uint8Array | null {
    if (this.#used) throw new TypeError('Body has already been used: it can be read only once (clone() it first)');
    if (this.#bytes !== null) this.#used = true;
    return this.#bytes;
  }
}
