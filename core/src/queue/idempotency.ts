import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import { redisKeys } from '../store/keys.js';

/** The longest Idempotency-Key taken (as Stripe); longer ones are refused. */
export const maxIdempotencyKeyLength = 255;

export type IdempotencyClaim = { owner: true } | { owner: false; invocationId: string };

/**
 * Claims an Idempotency-Key for a submission in one round trip (`SET NX GET`): the first
 * submission with the key owns it and goes on with `invocationId`; a repeat within `windowSeconds`
 * gets the first submission's id. A repeat whose body differs is refused (409), as the key then
 * names two different requests. Keys are per function and hashed, so any header bytes are safe.
 */
export async function claimIdempotencyKey(
  redis: Redis,
  scope: { function: string; key: string; bodyDigest: string; invocationId: string; windowSeconds: number },
): Promise<IdempotencyClaim> {
  if (scope.key.length === 0 || scope.key.length > maxIdempotencyKeyLength) {
    throw new IsolaError('BAD_REQUEST', `Idempotency-Key must be 1-${maxIdempotencyKeyLength} characters`);
  }
  const key = redisKeys.idempotencyKey(scope.function, createHash('sha256').update(scope.key).digest('hex'));
  const value = JSON.stringify({ id: scope.invocationId, body: scope.bodyDigest });
  const previous = await redis.set(key, value, 'EX', scope.windowSeconds, 'NX', 'GET');
  if (previous === null) return { owner: true };
  const stored = JSON.parse(previous) as { id: string; body: string };
  if (stored.body !== scope.bodyDigest) {
    throw new IsolaError('CONFLICT', `Idempotency-Key was already used for a different request (invocation ${stored.id}); use a new key for a new request`, { invocationId: stored.id });
  }
  return { owner: false, invocationId: stored.id };
}

export function bodyDigest(body: Uint8Array | undefined): string {
  return createHash('sha256').update(body ?? new Uint8Array()).digest('base64url');
}
