// crypto.subtle: digest (SHA-1/256/384/512) and HMAC keys (importKey 'raw', exportKey 'raw',
// sign, verify), hashing done by the host's node:crypto. Argument checks and error names follow
// the WebCrypto spec's order: WebIDL conversions (TypeError), then algorithm normalization
// (NotSupportedError for names the spec does not know or Isola does not implement), then key
// checks (InvalidAccessError), then the operation's own (SyntaxError, DataError). Where the
// spec leaves room, behaviour matches Node's webcrypto (e.g. an HMAC `length` must equal the
// key's length). Every other method rejects with a NotSupportedError that says what exists.
import type { DigestAlgorithm } from '../contract.js';
import { callHost } from '../host-bridge.js';
import { byteLengthOf, copyBufferSource, copyBytes } from './buffer-source.js';
import { DOMException } from './dom-exception.js';
import { isObject, toDOMString } from './webidl.js';

const DIGESTS: readonly DigestAlgorithm[] = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
/** Algorithms the spec registers for sign/verify: Isola implements HMAC; the others are key mismatches. */
const SIGN_ALGORITHMS = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA', 'Ed25519', 'HMAC'];
/** Members their parameter dictionaries require (missing: TypeError, before any key check). */
const REQUIRED_SIGN_PARAMS: Record<string, string> = { 'RSA-PSS': 'saltLength', ECDSA: 'hash' };
const KEY_FORMATS = ['raw', 'spki', 'pkcs8', 'jwk'];
const KEY_USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];
const SUPPORTED = 'Isola supports digest (SHA-1, SHA-256, SHA-384, SHA-512) and HMAC importKey/exportKey/sign/verify';

type KeyUsage = 'sign' | 'verify';

interface HmacKeyAlgorithm {
  name: 'HMAC';
  hash: { name: DigestAlgorithm };
  length: number;
}

const INTERNAL = Symbol('CryptoKey.internal');

/** What a key is, as the runtime checks it (the objects user code sees may be mutated). */
interface KeyState {
  readonly material: Uint8Array;
  readonly hash: DigestAlgorithm;
  readonly usages: readonly string[];
  readonly extractable: boolean;
}

let keyState: (key: CryptoKey) => KeyState;
let isCryptoKey: (value: unknown) => value is CryptoKey;

/** WebCrypto CryptoKey. Only secret (HMAC) keys exist in Isola. */
export class CryptoKey {
  readonly #state: KeyState;
  readonly #algorithm: HmacKeyAlgorithm;
  readonly #usages: string[];

  static {
    keyState = (key) => key.#state;
    isCryptoKey = (value): value is CryptoKey => typeof value === 'object' && value !== null && #state in value;
  }

  constructor(token?: unknown, state?: KeyState) {
    if (token !== INTERNAL || state === undefined) throw new TypeError('Illegal constructor');
    this.#state = state;
    this.#algorithm = { name: 'HMAC', hash: { name: state.hash }, length: byteLengthOf(state.material) * 8 };
    this.#usages = [...state.usages];
  }

  get type(): string {
    if (!isCryptoKey(this)) throw new TypeError("Failed to read 'type' from 'CryptoKey': Illegal invocation");
    return 'secret';
  }

  get extractable(): boolean {
    return this.#state.extractable;
  }

  /** The same object on every read, as in browsers and Node; changing it changes nothing. */
  get algorithm(): object {
    return this.#algorithm;
  }

  /** The same array on every read; changing it changes nothing. */
  get usages(): string[] {
    return this.#usages;
  }
}

const notSupported = (message: string) => new DOMException(message, 'NotSupportedError');

function missingArguments(method: string, required: number, given: number): TypeError {
  return new TypeError(`Failed to execute '${method}' on 'SubtleCrypto': ${required} arguments required, but only ${given} present`);
}

/** WebIDL AlgorithmIdentifier → the `name` member, as a string. */
function algorithmName(algorithm: unknown): string {
  if (isObject(algorithm)) {
    const name = (algorithm as { name?: unknown }).name;
    if (name === undefined) throw new TypeError("Failed to normalize algorithm: 'name' is required in 'Algorithm'");
    return toDOMString(name);
  }
  return toDOMString(algorithm);
}

/** The registered spelling of a name, compared case-insensitively, or null. */
function registered<T extends string>(name: string, names: readonly T[]): T | null {
  const upper = name.toUpperCase();
  for (const candidate of names) if (candidate.toUpperCase() === upper) return candidate;
  return null;
}

function digestAlgorithm(algorithm: unknown): DigestAlgorithm {
  const name = registered(algorithmName(algorithm), DIGESTS);
  if (name === null) throw notSupported(`Unrecognized algorithm name: ${SUPPORTED}`);
  return name;
}

function toEnum<T extends string>(value: unknown, values: readonly string[], type: string): T {
  const text = toDOMString(value);
  if (!values.includes(text)) throw new TypeError(`The provided value '${text}' is not a valid enum value of type ${type}`);
  return text as T;
}

/** WebIDL [EnforceRange] unsigned long. */
function toEnforcedUnsignedLong(value: unknown, what: string): number {
  const number = +(value as number);
  if (number !== number || number === Infinity || number === -Infinity) throw new TypeError(`${what} is not a finite number`);
  const truncated = number < 0 ? -Math.floor(-number) : Math.floor(number);
  if (truncated < 0 || truncated > 0xffffffff) throw new TypeError(`${what} is outside the range of an unsigned long`);
  return truncated;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  // Host results arrive as exactly sized copies; copy anyway, so nothing else shares the buffer.
  return copyBytes(bytes).buffer as ArrayBuffer;
}

/** Constant-time comparison: the time taken does not depend on where the bytes differ. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  const length = byteLengthOf(a);
  if (length !== byteLengthOf(b)) return false;
  let difference = 0;
  for (let index = 0; index < length; index += 1) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}

async function importKey(format: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, keyUsages: unknown, given: number): Promise<CryptoKey> {
  if (given < 5) throw missingArguments('importKey', 5, given);
  const keyFormat = toEnum<string>(format, KEY_FORMATS, 'KeyFormat');
  const usages: string[] = [];
  if (!isObject(keyUsages) || typeof (keyUsages as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new TypeError("Failed to execute 'importKey' on 'SubtleCrypto': parameter 5 is not iterable");
  }
  for (const usage of keyUsages as Iterable<unknown>) usages[usages.length] = toEnum(usage, KEY_USAGES, 'KeyUsage');
  const bytes = keyFormat === 'jwk' ? null : copyBufferSource(keyData, "Failed to execute 'importKey' on 'SubtleCrypto': parameter 2");

  if (registered(algorithmName(algorithm), ['HMAC']) === null) throw notSupported(`Unrecognized or unsupported algorithm name: ${SUPPORTED}`);
  const params = algorithm as { hash?: unknown; length?: unknown };
  if (params.hash === undefined) throw new TypeError("Failed to normalize algorithm: 'hash' is required in 'HmacImportParams'");
  const hash = digestAlgorithm(params.hash);
  const length = params.length === undefined ? undefined : toEnforcedUnsignedLong(params.length, 'HmacImportParams length');

  if (keyFormat !== 'raw' || bytes === null) throw notSupported(`Unable to import an HMAC key in the ${keyFormat} format: Isola imports raw keys only`);
  for (const usage of usages) if (usage !== 'sign' && usage !== 'verify') throw new DOMException('Unsupported key usage for an HMAC key', 'SyntaxError');
  const bits = byteLengthOf(bytes) * 8;
  if (bits === 0) throw new DOMException('Zero-length key is not supported', 'DataError');
  if (length !== undefined && length !== bits) throw new DOMException('Invalid key length', 'DataError');
  if (usages.length === 0) throw new DOMException('Usages cannot be empty when importing a secret key.', 'SyntaxError');
  return new CryptoKey(INTERNAL, { material: bytes, hash, usages, extractable: !!extractable });
}

/** Checks shared by sign and verify, in the spec's order; returns the key's state. */
function usableKey(method: KeyUsage, algorithm: unknown, key: unknown): KeyState {
  const name = registered(algorithmName(algorithm), SIGN_ALGORITHMS);
  if (name === null) throw notSupported(`Unrecognized algorithm name: ${SUPPORTED}`);
  const required = REQUIRED_SIGN_PARAMS[name];
  if (required !== undefined && (algorithm as Record<string, unknown>)[required] === undefined) {
    throw new TypeError(`Failed to normalize algorithm: '${required}' is required for ${name}`);
  }
  const state = keyState(key as CryptoKey);
  if (name !== 'HMAC' || !state.usages.includes(method)) {
    throw new DOMException(`Unable to use this key to ${method}`, 'InvalidAccessError');
  }
  return state;
}

function requireKey(method: string, key: unknown, position: number): void {
  if (!isCryptoKey(key)) throw new TypeError(`Failed to execute '${method}' on 'SubtleCrypto': parameter ${position} is not of type 'CryptoKey'`);
}

const INTERNAL_SUBTLE = Symbol('SubtleCrypto.internal');

/** WebCrypto SubtleCrypto; its one instance is `crypto.subtle`. */
export class SubtleCrypto {
  constructor(token?: unknown) {
    if (token !== INTERNAL_SUBTLE) throw new TypeError('Illegal constructor');
  }

  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    if (arguments.length < 2) throw missingArguments('digest', 2, arguments.length);
    const bytes = copyBufferSource(data, "Failed to execute 'digest' on 'SubtleCrypto': parameter 2");
    return toArrayBuffer(callHost('digest', [digestAlgorithm(algorithm), bytes]));
  }

  async importKey(format: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    return importKey(format, keyData, algorithm, extractable, keyUsages, arguments.length);
  }

  async exportKey(format: unknown, key: unknown): Promise<ArrayBuffer> {
    if (arguments.length < 2) throw missingArguments('exportKey', 2, arguments.length);
    const keyFormat = toEnum<string>(format, KEY_FORMATS, 'KeyFormat');
    requireKey('exportKey', key, 2);
    const state = keyState(key as CryptoKey);
    if (!state.extractable) throw new DOMException('key is not extractable', 'InvalidAccessError');
    if (keyFormat !== 'raw') throw notSupported(`Unable to export an HMAC key in the ${keyFormat} format: Isola exports raw keys only`);
    return toArrayBuffer(state.material);
  }

  async sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    if (arguments.length < 3) throw missingArguments('sign', 3, arguments.length);
    requireKey('sign', key, 2);
    const bytes = copyBufferSource(data, "Failed to execute 'sign' on 'SubtleCrypto': parameter 3");
    const state = usableKey('sign', algorithm, key);
    return toArrayBuffer(callHost('hmac', [state.hash, state.material, bytes]));
  }

  async verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
    if (arguments.length < 4) throw missingArguments('verify', 4, arguments.length);
    requireKey('verify', key, 2);
    const expected = copyBufferSource(signature, "Failed to execute 'verify' on 'SubtleCrypto': parameter 3");
    const bytes = copyBufferSource(data, "Failed to execute 'verify' on 'SubtleCrypto': parameter 4");
    const state = usableKey('verify', algorithm, key);
    return equalBytes(callHost('hmac', [state.hash, state.material, bytes]), expected);
  }

  async encrypt(): Promise<never> {
    throw notSupported(`crypto.subtle.encrypt is not supported: ${SUPPORTED}`);
  }

  async decrypt(): Promise<never> {
    throw notSupported(`crypto.subtle.decrypt is not supported: ${SUPPORTED}`);
  }

  async generateKey(): Promise<never> {
    throw notSupported(`crypto.subtle.generateKey is not supported: ${SUPPORTED}`);
  }

  async deriveKey(): Promise<never> {
    throw notSupported(`crypto.subtle.deriveKey is not supported: ${SUPPORTED}`);
  }

  async deriveBits(): Promise<never> {
    throw notSupported(`crypto.subtle.deriveBits is not supported: ${SUPPORTED}`);
  }

  async wrapKey(): Promise<never> {
    throw notSupported(`crypto.subtle.wrapKey is not supported: ${SUPPORTED}`);
  }

  async unwrapKey(): Promise<never> {
    throw notSupported(`crypto.subtle.unwrapKey is not supported: ${SUPPORTED}`);
  }
}

export function createSubtleCrypto(): SubtleCrypto {
  return new SubtleCrypto(INTERNAL_SUBTLE);
}
