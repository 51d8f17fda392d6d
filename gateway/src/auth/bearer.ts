import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { IsolaError } from '@isola/core';

/**
 * Checks `Authorization: Bearer <token>` against the admin token. Tokens are compared as
 * digests in constant time. Roles and more tokens come with the control-plane work.
 */
export class BearerAuth {
  private readonly digest: Buffer;

  constructor(adminToken: string, private readonly tokenHint: string) {
    this.digest = sha256(adminToken);
  }

  /** Whether the request carries a valid token. */
  isAuthorized(request: FastifyRequest): boolean {
    const token = bearerToken(request.headers.authorization);
    return token !== null && timingSafeEqual(sha256(token), this.digest);
  }

  /** Throws 401 with what to do when the request carries no valid token. */
  require(request: FastifyRequest): void {
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new IsolaError('UNAUTHORIZED', `missing token: send "Authorization: Bearer <token>" (${this.tokenHint})`);
    }
    if (!this.isAuthorized(request)) {
      throw new IsolaError('UNAUTHORIZED', `invalid token in the Authorization header (${this.tokenHint})`);
    }
  }
}

function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
