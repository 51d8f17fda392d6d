import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { bootstrapTokenId, digest, IsolaError, roleAllows, inNamespace, type Caller, type FunctionEvent, type Role, type TokenInfo, type TokenStore } from '@isola/core';

/** How long a verified token is trusted without asking Redis again (revocations are pushed sooner). */
const cacheMs = 60_000;
const maxCached = 10_000;

/**
 * Verifies `Authorization: Bearer <token>`: the configured admin token (compared as digests in
 * constant time) or a token from the TokenStore (looked up by digest). Verified tokens are
 * cached briefly; a revocation event drops them at once.
 */
export class BearerAuth {
  private readonly adminDigest: Buffer;
  private readonly cache = new Map<string, { info: TokenInfo; at: number }>();

  constructor(
    adminToken: string,
    private readonly tokens: TokenStore,
    private readonly tokenHint: string,
  ) {
    this.adminDigest = Buffer.from(digest(adminToken), 'hex');
  }

  /** The caller, or a 401 saying what to do. */
  async authenticate(request: FastifyRequest): Promise<Caller> {
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new IsolaError('UNAUTHORIZED', `missing token: send "Authorization: Bearer <token>" (${this.tokenHint})`);
    }
    const token = bearerToken(header);
    if (token === null) throw new IsolaError('UNAUTHORIZED', 'the Authorization header must be "Bearer <token>"');
    const hex = digest(token);
    if (timingSafeEqual(Buffer.from(hex, 'hex'), this.adminDigest)) {
      return { tokenId: bootstrapTokenId, name: 'admin', role: 'admin', namespace: null };
    }
    const info = await this.lookup(hex, token);
    if (info === null) throw new IsolaError('UNAUTHORIZED', `invalid or revoked token in the Authorization header (${this.tokenHint})`);
    if (info.expiresAt !== null && Date.parse(info.expiresAt) <= Date.now()) {
      throw new IsolaError('UNAUTHORIZED', `the token "${info.name}" expired at ${info.expiresAt}; ask an admin for a new one (POST /api/v1/tokens)`);
    }
    return { tokenId: info.id, name: info.name, role: info.role, namespace: info.namespace };
  }

  /** The caller, checked for `role` and, when `functionName` is given, for its namespace. */
  async require(request: FastifyRequest, role: Role, functionName?: string): Promise<Caller> {
    const caller = await this.authenticate(request);
    authorize(caller, role, functionName);
    return caller;
  }

  /** Events may have been missed (subscriber reconnected): verify every token again. */
  clear(): void {
    this.cache.clear();
  }

  onEvent(event: FunctionEvent): void {
    if (event.type !== 'tokens') return;
    for (const [key, entry] of this.cache) if (entry.info.id === event.id) this.cache.delete(key);
  }

  private async lookup(hex: string, token: string): Promise<TokenInfo | null> {
    const cached = this.cache.get(hex);
    if (cached !== undefined && Date.now() - cached.at < cacheMs) return cached.info;
    if (!/^isola_[0-9a-f]{12}_[\w-]{32}$/.test(token)) return null;
    const info = await this.tokens.verify(token);
    if (info === null) {
      this.cache.delete(hex);
      return null;
    }
    if (this.cache.size >= maxCached) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(hex, { info, at: Date.now() });
    return info;
  }
}

/** Throws 403 unless the caller's role and namespace allow acting with `role` on `functionName`. */
export function authorize(caller: Caller, role: Role, functionName?: string): void {
  if (!roleAllows(caller.role, role)) {
    throw new IsolaError('FORBIDDEN', `the token "${caller.name}" has role ${caller.role}; this needs ${role} or higher`);
  }
  if (functionName !== undefined && !inNamespace(functionName, caller.namespace)) {
    throw new IsolaError(
      'FORBIDDEN',
      `the token "${caller.name}" is scoped to namespace "${caller.namespace}" and reaches only functions named "${caller.namespace}" or "${caller.namespace}-*", not "${functionName}"`,
    );
  }
}

function bearerToken(header: string): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
