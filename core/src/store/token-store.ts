import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { IsolaError } from '../errors/isola-error.js';
import { redisKeys } from './keys.js';

/** What a token may do; each role includes the ones after it. */
export const roles = ['admin', 'deployer', 'invoker'] as const;
export type Role = (typeof roles)[number];

const rank: Record<Role, number> = { admin: 3, deployer: 2, invoker: 1 };

/** Whether a token of role `held` may do what needs `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return rank[held] >= rank[needed];
}

/**
 * Namespaces are function-name prefixes: a token scoped to `shop` reaches the functions
 * named `shop` and `shop-*`, nothing else. A DNS label, like function names.
 */
export const namespaceSchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label: lowercase letters, digits and dashes, 1 to 63 characters, starting and ending with a letter or digit');

export function inNamespace(functionName: string, namespace: string | null): boolean {
  return namespace === null || functionName === namespace || functionName.startsWith(`${namespace}-`);
}

/** `POST /api/v1/tokens` body. */
export const createTokenSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[\w.@-]+$/, 'letters, digits and . _ @ - only'),
  role: z.enum(roles),
  namespace: namespaceSchema.optional(),
  /** Lifetime; no expiry when absent. */
  expiresInSeconds: z.number().int().min(60).max(10 * 365 * 86_400).optional(),
});
export type CreateTokenRequest = z.infer<typeof createTokenSchema>;

/** A token as the API shows it: never the token itself or its hash. */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  namespace: string | null;
  createdAt: string;
  /** Name of the token that created this one. */
  createdBy: string;
  expiresAt: string | null;
}

/** Who is calling, once a token was verified. */
export interface Caller {
  tokenId: string;
  name: string;
  role: Role;
  namespace: string | null;
  /** When the caller's API token expires (ISO 8601), null for never; absent when no API token proved the caller. */
  expiresAt?: string | null;
}

/** The token configured at start (ISOLA_ADMIN_TOKEN or the generated file): admin, everywhere. */
export const bootstrapTokenId = 'admin';

/**
 * API tokens in Redis, stored as SHA-256 digests: a token is `isola_<id>_<secret>`, shown once
 * at creation. Lookups go by digest, so a stolen Redis dump does not yield usable tokens.
 */
export class TokenStore {
  constructor(private readonly redis: Redis) {}

  async create(request: CreateTokenRequest, createdBy: string, now = new Date()): Promise<{ token: string; info: TokenInfo }> {
    const id = randomBytes(6).toString('hex');
    const token = `isola_${id}_${randomBytes(24).toString('base64url')}`;
    const info: TokenInfo = {
      id,
      name: request.name,
      role: request.role,
      namespace: request.namespace ?? null,
      createdAt: now.toISOString(),
      createdBy,
      expiresAt: request.expiresInSeconds === undefined ? null : new Date(now.getTime() + request.expiresInSeconds * 1000).toISOString(),
    };
    const count = await this.redis.hlen(redisKeys.tokens);
    if (count >= maxTokens) throw new IsolaError('CONFLICT', `there are already ${maxTokens} tokens; revoke unused ones first (DELETE /api/v1/tokens/{id})`);
    const stored: StoredToken = { ...info, digest: digest(token) };
    await this.redis.multi().hset(redisKeys.tokens, id, JSON.stringify(stored)).set(redisKeys.tokenDigest(stored.digest), id).exec();
    return { token, info };
  }

  async list(): Promise<TokenInfo[]> {
    const all = await this.redis.hvals(redisKeys.tokens);
    return all.map(toInfo).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(id: string): Promise<TokenInfo | null> {
    const value = await this.redis.hget(redisKeys.tokens, id);
    return value === null ? null : toInfo(value);
  }

  /** The token's record, or null when no such token exists (revoked or never issued). */
  async verify(token: string): Promise<TokenInfo | null> {
    const id = await this.redis.get(redisKeys.tokenDigest(digest(token)));
    return id === null ? null : this.get(id);
  }

  /** Removes the token; announces it so every gateway forgets it at once. False when absent. */
  async revoke(id: string): Promise<boolean> {
    const value = await this.redis.hget(redisKeys.tokens, id);
    if (value === null) return false;
    const stored = JSON.parse(value) as StoredToken;
    await this.redis
      .multi()
      .hdel(redisKeys.tokens, id)
      .del(redisKeys.tokenDigest(stored.digest))
      .publish(redisKeys.eventsChannel, JSON.stringify({ type: 'tokens', id }))
      .exec();
    return true;
  }
}

/** What Redis holds per token: its info and the digest that finds it (never the token). */
interface StoredToken extends TokenInfo {
  digest: string;
}

function toInfo(value: string): TokenInfo {
  const { digest: _digest, ...info } = JSON.parse(value) as StoredToken;
  return info;
}

const maxTokens = 10_000;

export function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
