// TextEncoderStream and TextDecoderStream (Encoding Standard): TransformStreams around the
// runtime's UTF-8 TextEncoder/TextDecoder, the usual way to turn a body stream into text.
import { TransformStream, type ReadableStream, type WritableStream } from './streams.js';
import { encodeUtf8, TextDecoder } from './text-encoding.js';
import { toDOMString } from './webidl.js';

/** Strings in, UTF-8 Uint8Array chunks out; a surrogate pair split across chunks is kept whole. */
export class TextEncoderStream {
  readonly #transform: TransformStream<unknown, Uint8Array>;

  constructor() {
    let pendingHighSurrogate = '';
    this.#transform = new TransformStream<unknown, Uint8Array>({
      transform(chunk, controller) {
        // encodeUtf8 turns lone surrogates into U+FFFD; a trailing high one waits for its pair.
        let text = pendingHighSurrogate + toDOMString(chunk);
        pendingHighSurrogate = '';
        const last = text.charCodeAt(text.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pendingHighSurrogate = text[text.length - 1]!;
          text = text.slice(0, -1);
        }
        if (text !== '') controller.enqueue(encodeUtf8(text));
      },
      flush(controller) {
        if (pendingHighSurrogate !== '') controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }

  get encoding(): string {
    return 'utf-8';
  }

  get readable(): ReadableStream<Uint8Array> {
    return this.#transform.readable;
  }

  get writable(): WritableStream<unknown> {
    return this.#transform.writable;
  }
}

/** BufferSource chunks in, strings out; a UTF-8 sequence split across chunks decodes whole. */
export class TextDecoderStream {
  readonly #decoder: TextDecoder;
  readonly #transform: TransformStream<unknown, string>;

  constructor(label: unknown = 'utf-8', options?: unknown) {
    const decoder = new TextDecoder(label, options);
    this.#decoder = decoder;
    this.#transform = new TransformStream<unknown, string>({
      transform(chunk, controller) {
        const text = decoder.decode(chunk, { stream: true });
        if (text !== '') controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text !== '') controller.enqueue(text);
      },
    });
  }

  get encoding(): string {
    return this.#decoder.encoding;
  }

  get fatal(): boolean {
    return this.#decoder.fatal;
  }

  get ignoreBOM(): boolean {
    return this.#decoder.ignoreBOM;
  }

  get readable(): ReadableStream<string> {
    return this.#transform.readable;
  }

  get writable(): WritableStream<unknown> {
    return this.#transform.writable;
  }
}
