import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import { SecretBox } from '../secrets/secret-box.js';
import type { FunctionEvent } from './function-store.js';
import { redisKeys } from './keys.js';

/** Secret names read like environment variables. */
export const secretNamePattern = /^[A-Z_][A-Z0-9_]{0,127}$/;
/** A secret's value is at most this many UTF-8 bytes. */
export const maxSecretValueBytes = 64 * 1024;
/** Secrets one function may hold at most. */
export const maxSecretsPerFunction = 100;

const functionNamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

// Check-and-set plus the event in one atomic step: the per-function limit cannot be raced past
// (a MULTI cannot branch on HLEN; WATCH would need a connection of its own).
// KEYS[1] the hash; ARGV: name, sealed value, limit, channel, event. 1 set, 0 at the limit.
const putScript = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`;

// KEYS[1] the hash; ARGV: name, channel, event. 1 removed (event published), 0 absent.
const deleteScript = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

// KEYS[1] the hash; ARGV: channel, event. Returns how many secrets were removed.
const deleteAllScript = `
local count = redis.call('HLEN', KEYS[1])
if count > 0 then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return count`;

/**
 * The secrets of functions in Redis, sealed with AES-256-GCM (SecretBox) under the platform's
 * secret key, one hash per function. Every change publishes a `secrets` event in the same atomic
 * step, so workers drop that function's instances and the next load reads the new values.
 * Leaves out: whether the function exists (callers check), access control, and key rotation
 * (values sealed under an old key do not open; they must be set again).
 */
export class SecretStore {
  private readonly box: SecretBox;

  constructor(
    private readonly redis: Redis,
    key: Buffer,
  ) {
    this.box = new SecretBox(key);
  }

  /** A short id of the key (not the key): equal ids mean equal keys. */
  get keyId(): string {
    return this.box.keyId;
  }

  /** Sets (or replaces) a secret. Throws BAD_REQUEST for a bad name or value, or when the function already has the most secrets allowed. */
  async put(fn: string, name: string, value: string): Promise<void> {
    checkFunctionName(fn);
    checkSecretName(name);
    checkSecretValue(name, value);
    const sealed = this.box.seal(value, sealContext(fn, name));
    const set = await this.redis.eval(
      putScript,
      1,
      redisKeys.functionSecrets(fn),
      name,
      sealed,
      String(maxSecretsPerFunction),
      redisKeys.eventsChannel,
      secretsEvent(fn),
    );
    if (set !== 1) {
      throw new IsolaError(
        'BAD_REQUEST',
        `function "${fn}" already has ${maxSecretsPerFunction} secrets, the most one function may hold; delete one before adding ${name}`,
      );
    }
  }

  /** Removes a secret; false when the function had no secret of that name. */
  async delete(fn: string, name: string): Promise<boolean> {
    checkFunctionName(fn);
    checkSecretName(name);
    const removed = await this.redis.eval(deleteScript, 1, redisKeys.functionSecrets(fn), name, redisKeys.eventsChannel, secretsEvent(fn));
    return removed === 1;
  }

  /** The names of the function's secrets, sorted. Values are never listed. */
  async names(fn: string): Promise<string[]> {
    checkFunctionName(fn);
    return (await this.redis.hkeys(redisKeys.functionSecrets(fn))).sort();
  }

  /**
   * The function's secrets, decrypted: what its `env` holds besides `vars`. One HGETALL.
   * Throws an INTERNAL IsolaError naming the secret when a value does not open (the key changed).
   */
  async values(fn: string): Promise<Record<string, string>> {
    checkFunctionName(fn);
    const sealed = await this.redis.hgetall(redisKeys.functionSecrets(fn));
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(sealed)) values[name] = this.box.open(value, sealContext(fn, name));
    return values;
  }

  /** Removes every secret of the function (when it is deleted); returns how many there were. */
  async deleteAll(fn: string): Promise<number> {
    checkFunctionName(fn);
    return (await this.redis.eval(deleteAllScript, 1, redisKeys.functionSecrets(fn), redisKeys.eventsChannel, secretsEvent(fn))) as number;
  }
}

/** What a sealed value is bound to: neither part can hold '/', so the pair is unambiguous. */
function sealContext(fn: string, name: string): string {
  return `${fn}/${name}`;
}

function secretsEvent(fn: string): string {
  return JSON.stringify({ type: 'secrets', name: fn } satisfies FunctionEvent);
}

function checkFunctionName(fn: string): void {
  if (typeof fn !== 'string' || !functionNamePattern.test(fn)) {
    throw new IsolaError('BAD_REQUEST', `${JSON.stringify(fn)} is not a function name: 1-63 of a-z, 0-9 and -, starting and ending with a letter or digit`);
  }
}

function checkSecretName(name: string): void {
  if (typeof name !== 'string' || !secretNamePattern.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 140 ? `${name.slice(0, 140)}…` : name) : String(name);
    throw new IsolaError(
      'BAD_REQUEST',
      `${shown} is not a secret name: use 1-128 of A-Z, 0-9 and _, not starting with a digit, like an environment variable (STRIPE_KEY)`,
    );
  }
}

function checkSecretValue(name: string, value: string): void {
  if (typeof value !== 'string') throw new IsolaError('BAD_REQUEST', `the value of secret ${name} must be a string, got ${value === null ? 'null' : typeof value}`);
  if (value === '') throw new IsolaError('BAD_REQUEST', `the value of secret ${name} is empty; to remove a secret, delete it`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxSecretValueBytes) {
    throw new IsolaError('BAD_REQUEST', `the value of secret ${name} is ${bytes} bytes, over the limit of ${maxSecretValueBytes} (64 KiB)`);
  }
}
