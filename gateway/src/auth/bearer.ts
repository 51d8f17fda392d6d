import type { FastifyRequest } from 'fastify';
import { authorize, bearerToken, IsolaError, TokenVerifier, type Caller, type FunctionEvent, type Role, type TokenStore } from '@isola/core';

export { authorize };

/** Verifies `Authorization: Bearer <token>` on gateway requests (TokenVerifier does the checking and caching). */
export class BearerAuth {
  readonly verifier: TokenVerifier;

  constructor(adminToken: string, tokens: TokenStore, tokenHint: string) {
    this.verifier = new TokenVerifier(adminToken, tokens, tokenHint);
  }

  /** The caller, or a 401 saying what to do. */
  async authenticate(request: FastifyRequest): Promise<Caller> {
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new IsolaError('UNAUTHORIZED', `missing token: send "Authorization: Bearer <token>" (${this.verifier.tokenHint})`);
    }
    const token = bearerToken(header);
    if (token === null) throw new IsolaError('UNAUTHORIZED', 'the Authorization header must be "Bearer <token>"');
    return this.verifier.verify(token, 'the Authorization header');
  }

  /** The caller, checked for `role` and, when `functionName` is given, for its namespace. */
  async require(request: FastifyRequest, role: Role, functionName?: string): Promise<Caller> {
    const caller = await this.authenticate(request);
    authorize(caller, role, functionName);
    return caller;
  }

  /** Events may have been missed (subscriber reconnected): verify every token again. */
  clear(): void {
    this.verifier.clear();
  }

  onEvent(event: FunctionEvent): void {
    this.verifier.onEvent(event);
  }
}
