// The host half of crypto: random bytes from node:crypto's CSPRNG, digests and HMACs. Inputs
// come from the isolate and are checked here; results are fresh, exactly sized Uint8Arrays
// (never Buffers: a small Buffer may view Node's shared pool, and copying it into the isolate
// would copy the whole pool).
import { createHash, createHmac, randomFillSync } from 'node:crypto';

const MAX_RANDOM_BYTES = 65_536;
const nodeHashNames: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function hashName(algorithm: unknown): string {
  const name = typeof algorithm === 'string' && Object.hasOwn(nodeHashNames, algorithm) ? nodeHashNames[algorithm] : undefined;
  if (name === undefined) throw new TypeError(`unsupported digest algorithm ${String(algorithm)}`);
  return name;
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  return value;
}

export function randomBytes(length: unknown): Uint8Array {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > MAX_RANDOM_BYTES) {
    throw new RangeError(`randomBytes: length must be an integer from 0 to ${MAX_RANDOM_BYTES}`);
  }
  return randomFillSync(new Uint8Array(length));
}

export function digest(algorithm: unknown, data: unknown): Uint8Array {
  return new Uint8Array(createHash(hashName(algorithm)).update(bytes(data, 'data')).digest());
}

export function hmac(hash: unknown, key: unknown, data: unknown): Uint8Array {
  return new Uint8Array(createHmac(hashName(hash), bytes(key, 'key')).update(bytes(data, 'data')).digest());
}
