import { timingSafeEqual } from 'node:crypto';
import { IsolaError } from '../errors/isola-error.js';
import type { FunctionEvent } from '../store/function-store.js';
import { bootstrapTokenId, digest, inNamespace, roleAllows, type Caller, type Role, type TokenInfo, type TokenStore } from '../store/token-store.js';

/** How long a verified token is trusted without asking Redis again (revocations are pushed sooner). */
const cacheMs = 60_000;
const maxCached = 10_000;

/**
 * Verifies an API token, wherever it arrives (`Authorization: Bearer` on the gateway, gRPC
 * `authorization` metadata, the sidecar's `dapr-api-token`): the configured admin token
 * (compared as digests in constant time) or a token from the TokenStore (looked up by digest).
 * Verified tokens are cached briefly; a revocation event drops them at once.
 */
export class TokenVerifier {
  private readonly adminDigest: Buffer;
  private readonly cache = new Map<string, { info: TokenInfo; at: number }>();

  /** `tokenHint` ends the 401 messages: where the caller finds a token. */
  constructor(
    adminToken: string,
    private readonly tokens: Pick<TokenStore, 'verify'>,
    readonly tokenHint: string,
  ) {
    this.adminDigest = Buffer.from(digest(adminToken), 'hex');
  }

  /** The caller holding `token`, or a 401 saying what to do. `where` names where the token was read from. */
  async verify(token: string, where: string): Promise<Caller> {
    const hex = digest(token);
    if (timingSafeEqual(Buffer.from(hex, 'hex'), this.adminDigest)) {
      return { tokenId: bootstrapTokenId, name: 'admin', role: 'admin', namespace: null, expiresAt: null };
    }
    const info = await this.lookup(hex, token);
    if (info === null) throw new IsolaError('UNAUTHORIZED', `invalid or revoked token in ${where} (${this.tokenHint})`);
    if (info.expiresAt !== null && Date.parse(info.expiresAt) <= Date.now()) {
      throw new IsolaError('UNAUTHORIZED', `the token "${info.name}" expired at ${info.expiresAt}; ask an admin for a new one (POST /api/v1/tokens)`);
    }
    return { tokenId: info.id, name: info.name, role: info.role, namespace: info.namespace, expiresAt: info.expiresAt };
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

/** Throws 403 unless the caller's role and namespace allow acting with `role` on `subject` (a function or topic name). */
export function authorize(caller: Caller, role: Role, subject?: string): void {
  if (!roleAllows(caller.role, role)) {
    throw new IsolaError('FORBIDDEN', `the token "${caller.name}" has role ${caller.role}; this needs ${role} or higher`);
  }
  if (subject !== undefined && !inNamespace(subject, caller.namespace)) {
    throw new IsolaError(
      'FORBIDDEN',
      `the token "${caller.name}" is scoped to namespace "${caller.namespace}" and reaches only functions named "${caller.namespace}" or "${caller.namespace}-*", not "${subject}"`,
    );
  }
}

/** The token of an `Authorization: Bearer <token>` header value; null when it has another form. */
export function bearerToken(header: string): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
