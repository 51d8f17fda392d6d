// TextEncoder / TextDecoder, UTF-8 only (as in workerd). Hand-written because the only
// encoding a function needs is UTF-8 and a full polyfill would cost tens of KB per isolate.
// The decoder is the Encoding Standard's UTF-8 decoder state machine, so invalid input is
// replaced with U+FFFD exactly where browsers and Node replace it ("maximal subparts").
import { toDOMString, toDictionary, toUSVString } from './webidl.js';

const REPLACEMENT = 0xfffd;
const UTF8_LABELS = ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8'];

/** Number of bytes `text` takes in UTF-8, lone surrogates counted as U+FFFD (3 bytes). */
export function utf8ByteLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}

/** UTF-8 encodes a string; lone surrogates become U+FFFD. */
export function encodeUtf8(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(utf8ByteLength(text));
  writeUtf8(text, out);
  return out;
}

/** Decodes UTF-8 the way Body#text() does: replacement on errors, a leading BOM stripped. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new Utf8Decoder().decode(bytes, false, false, true);
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Writes as many whole code points as fit; returns UTF-16 units read and bytes written. */
function writeUtf8(text: string, out: Uint8Array): { read: number; written: number } {
  let read = 0;
  let written = 0;
  while (read < text.length) {
    let codePoint = text.charCodeAt(read);
    let units = 1;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      const next = text.charCodeAt(read + 1);
      if (codePoint <= 0xdbff && isLowSurrogate(next)) {
        codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (next - 0xdc00);
        units = 2;
      } else codePoint = REPLACEMENT;
    }
    const size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (written + size > out.length) break;
    if (size === 1) out[written] = codePoint;
    else if (size === 2) {
      out[written] = 0xc0 | (codePoint >> 6);
      out[written + 1] = 0x80 | (codePoint & 0x3f);
    } else if (size === 3) {
      out[written] = 0xe0 | (codePoint >> 12);
      out[written + 1] = 0x80 | ((codePoint >> 6) & 0x3f);
      out[written + 2] = 0x80 | (codePoint & 0x3f);
    } else {
      out[written] = 0xf0 | (codePoint >> 18);
      out[written + 1] = 0x80 | ((codePoint >> 12) & 0x3f);
      out[written + 2] = 0x80 | ((codePoint >> 6) & 0x3f);
      out[written + 3] = 0x80 | (codePoint & 0x3f);
    }
    written += size;
    read += units;
  }
  return { read, written };
}

/** The Encoding Standard's UTF-8 decoder plus the BOM handling of TextDecoder#decode. */
class Utf8Decoder {
  #codePoint = 0;
  #bytesSeen = 0;
  #bytesNeeded = 0;
  #lower = 0x80;
  #upper = 0xbf;
  #bomSeen = false;

  reset(): void {
    this.#codePoint = 0;
    this.#bytesSeen = 0;
    this.#bytesNeeded = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
    this.#bomSeen = false;
  }

  /** Throws a TypeError on invalid input when `fatal`; otherwise emits U+FFFD. */
  decode(bytes: Uint8Array, stream: boolean, fatal: boolean, stripBom: boolean): string {
    // At most one UTF-16 unit per byte, plus a surrogate pair or U+FFFD for pending state.
    const units = new Uint16Array(bytes.length + 2);
    let count = 0;
    const emit = (codePoint: number): void => {
      if (!this.#bomSeen && stripBom) {
        this.#bomSeen = true;
        if (codePoint === 0xfeff) return;
      }
      this.#bomSeen = true;
      if (codePoint > 0xffff) {
        units[count++] = 0xd800 + ((codePoint - 0x10000) >> 10);
        units[count++] = 0xdc00 + ((codePoint - 0x10000) & 0x3ff);
      } else units[count++] = codePoint;
    };
    const fail = (): void => {
      if (fatal) {
        this.reset();
        throw new TypeError('The encoded data was not valid UTF-8');
      }
      emit(REPLACEMENT);
    };

    let index = 0;
    while (index < bytes.length) {
      const byte = bytes[index]!;
      if (this.#bytesNeeded === 0) {
        index++;
        if (byte <= 0x7f) emit(byte);
        else if (byte >= 0xc2 && byte <= 0xdf) this.#start(1, byte & 0x1f);
        else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) this.#lower = 0xa0;
          if (byte === 0xed) this.#upper = 0x9f;
          this.#start(2, byte & 0x0f);
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) this.#lower = 0x90;
          if (byte === 0xf4) this.#upper = 0x8f;
          this.#start(3, byte & 0x07);
        } else fail();
        continue;
      }
      if (byte < this.#lower || byte > this.#upper) {
        // The spec "prepends the byte back to the stream": do not advance, reprocess it.
        this.#clearSequence();
        fail();
        continue;
      }
      index++;
      this.#lower = 0x80;
      this.#upper = 0xbf;
      this.#codePoint = (this.#codePoint << 6) | (byte & 0x3f);
      this.#bytesSeen++;
      if (this.#bytesSeen === this.#bytesNeeded) {
        const codePoint = this.#codePoint;
        this.#clearSequence();
        emit(codePoint);
      }
    }
    if (!stream) {
      if (this.#bytesNeeded !== 0) {
        this.#clearSequence();
        fail();
      }
      this.reset();
    }
    return unitsToString(units, count);
  }

  #start(bytesNeeded: number, bits: number): void {
    this.#bytesNeeded = bytesNeeded;
    this.#codePoint = bits;
  }

  #clearSequence(): void {
    this.#codePoint = 0;
    this.#bytesSeen = 0;
    this.#bytesNeeded = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }
}

function unitsToString(units: Uint16Array, count: number): string {
  // fromCharCode.apply has an argument-count limit; go in chunks.
  const CHUNK = 8192;
  let out = '';
  for (let start = 0; start < count; start += CHUNK) {
    const chunk = units.subarray(start, Math.min(start + CHUNK, count));
    out += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return out;
}

function bufferSourceBytes(input: unknown): Uint8Array {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('The "input" argument must be an ArrayBuffer or an ArrayBufferView');
}

/** WHATWG TextEncoder (always UTF-8). */
export class TextEncoder {
  get encoding(): string {
    return 'utf-8';
  }

  encode(input: unknown = ''): Uint8Array<ArrayBuffer> {
    return encodeUtf8(toUSVString(input));
  }

  encodeInto(source: unknown, destination: unknown): { read: number; written: number } {
    if (!(destination instanceof Uint8Array)) throw new TypeError('The "destination" argument must be a Uint8Array');
    return writeUtf8(toUSVString(source), destination);
  }
}

/** WHATWG TextDecoder for UTF-8 with `fatal`, `ignoreBOM` and streaming decode. */
export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  readonly #decoder = new Utf8Decoder();
  #doNotFlush = false;

  constructor(label: unknown = 'utf-8', options?: unknown) {
    const name = toDOMString(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '').toLowerCase();
    if (!UTF8_LABELS.includes(name)) {
      throw new RangeError(`The "${toDOMString(label)}" encoding is not supported (only UTF-8 is)`);
    }
    const dictionary = toDictionary(options, 'TextDecoder options');
    this.#fatal = Boolean(dictionary['fatal']);
    this.#ignoreBOM = Boolean(dictionary['ignoreBOM']);
  }

  get encoding(): string {
    return 'utf-8';
  }

  get fatal(): boolean {
    return this.#fatal;
  }

  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  decode(input?: unknown, options?: unknown): string {
    const bytes = input === undefined ? new Uint8Array(0) : bufferSourceBytes(input);
    const stream = Boolean(toDictionary(options, 'TextDecoder#decode options')['stream']);
    if (!this.#doNotFlush) this.#decoder.reset();
    this.#doNotFlush = stream;
    return this.#decoder.decode(bytes, stream, this.#fatal, !this.#ignoreBOM);
  }
}
