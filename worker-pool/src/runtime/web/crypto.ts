// `crypto`: getRandomValues and randomUUID over random bytes from the host's CSPRNG
// (node:crypto), and `crypto.subtle` (subtle-crypto.ts). Errors follow browsers: a view that
// is not an integer typed array is a TypeMismatchError, more than 65,536 bytes a
// QuotaExceededError.
import { callHost } from '../host-bridge.js';
import { bytesView, byteLengthOf, copyRange, setBytes, viewKind } from './buffer-source.js';
import { DOMException } from './dom-exception.js';
import { createSubtleCrypto, type SubtleCrypto } from './subtle-crypto.js';

const MAX_RANDOM_BYTES = 65_536;
// Small requests (UUIDs, ids) are served from a pool so most calls skip the host round trip.
const POOL_BYTES = 4096;
const POOLED_REQUEST_MAX_BYTES = 256;
const INTEGER_ARRAYS: readonly string[] = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

let pool: Uint8Array = new Uint8Array(0);
let poolOffset = 0;

/** `length` fresh random bytes (length ≤ 65,536). */
export function randomBytes(length: number): Uint8Array {
  if (length > POOLED_REQUEST_MAX_BYTES) return callHost('randomBytes', [length]);
  if (poolOffset + length > byteLengthOf(pool)) {
    pool = callHost('randomBytes', [POOL_BYTES]);
    poolOffset = 0;
  }
  // The pool is unreachable to user code, and bytes handed out are never handed out again.
  const bytes = copyRange(pool, poolOffset, length);
  poolOffset += length;
  return bytes;
}

const HEX = Array.from({ length: 256 }, (_, byte) => (byte < 16 ? '0' : '') + byte.toString(16));
const INTERNAL = Symbol('Crypto.internal');
let isCrypto: (value: unknown) => boolean;

/** WebCrypto's Crypto interface; its one instance is the `crypto` global. */
export class Crypto {
  readonly #subtle: SubtleCrypto;

  static {
    isCrypto = (value) => typeof value === 'object' && value !== null && #subtle in value;
  }

  constructor(token?: unknown) {
    if (token !== INTERNAL) throw new TypeError('Illegal constructor');
    this.#subtle = createSubtleCrypto();
  }

  get subtle(): SubtleCrypto {
    return this.#subtle;
  }

  getRandomValues<T>(array: T): T {
    if (!isCrypto(this)) throw new TypeError("Failed to execute 'getRandomValues': Illegal invocation");
    if (arguments.length === 0) throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present");
    const kind = viewKind(array);
    if (kind === null) throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'");
    if (!INTEGER_ARRAYS.includes(kind)) {
      throw new DOMException(`The data argument must be an integer-type TypedArray, got a ${kind}`, 'TypeMismatchError');
    }
    const target = bytesView(array)!;
    const length = byteLengthOf(target);
    if (length > MAX_RANDOM_BYTES) {
      throw new DOMException(`The requested length (${length} bytes) exceeds the ${MAX_RANDOM_BYTES} bytes getRandomValues fills at once`, 'QuotaExceededError');
    }
    setBytes(target, randomBytes(length));
    return array;
  }

  randomUUID(): string {
    if (!isCrypto(this)) throw new TypeError("Failed to execute 'randomUUID': Illegal invocation");
    const bytes = randomBytes(16);
    bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
    let uuid = '';
    for (let index = 0; index < 16; index += 1) {
      if (index === 4 || index === 6 || index === 8 || index === 10) uuid += '-';
      uuid += HEX[bytes[index]!];
    }
    return uuid;
  }
}

/** The `crypto` global. */
export function createCrypto(): Crypto {
  return new Crypto(INTERNAL);
}
