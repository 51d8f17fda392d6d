import { z } from 'zod';
import { bootstrapTokenId, createTokenSchema, IsolaError, roles, type TokenStore } from '@isola/core';
import { defineRoute, type AnyRoute } from '../api/route-table.js';

export interface TokensApiDeps {
  tokens: TokenStore;
}

const tokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(roles),
  namespace: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
});
const currentTokenSchema = z.object({
  id: z.string().nullable().describe('null for the admin token configured at start (ISOLA_ADMIN_TOKEN or the generated one)'),
  name: z.string(),
  role: z.enum(roles),
  namespace: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

const errors = {
  400: { description: 'invalid input; `problems` lists each one by path' },
  401: { description: 'no valid token' },
  403: { description: "the token's role or namespace does not allow this" },
};

/** API tokens (SPEC §4): create, list, revoke, and who the caller is. */
export function tokensApiRoutes(deps: TokensApiDeps): AnyRoute[] {
  const { tokens } = deps;
  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/tokens',
      summary: 'Create a token (shown once in the answer)',
      tag: 'tokens',
      role: 'admin',
      body: createTokenSchema,
      responses: { 201: { description: 'created', schema: tokenInfoSchema.extend({ token: z.string() }) }, ...errors },
      handler: async ({ body, caller, reply }) => {
        if (caller.namespace !== null && body.namespace !== caller.namespace) {
          throw new IsolaError('FORBIDDEN', `an admin token scoped to namespace "${caller.namespace}" can only create tokens scoped to it: set "namespace": "${caller.namespace}"`);
        }
        const created = await tokens.create(body, caller.name);
        reply.code(201);
        return { ...created.info, token: created.token };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/tokens',
      summary: 'List tokens (never their values)',
      tag: 'tokens',
      role: 'admin',
      responses: { 200: { description: 'the tokens', schema: z.object({ tokens: z.array(tokenInfoSchema) }) }, ...errors },
      handler: async ({ caller }) => ({ tokens: (await tokens.list()).filter((token) => caller.namespace === null || token.namespace === caller.namespace) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/tokens/current',
      summary: "The caller's own token: its id, name, role, namespace and expiry (what a client signs in with)",
      tag: 'tokens',
      // The least role: any valid token.
      role: 'invoker',
      responses: { 200: { description: 'the token the request carries', schema: currentTokenSchema }, 401: errors[401] },
      handler: async ({ caller }) => ({
        id: caller.tokenId === bootstrapTokenId ? null : caller.tokenId,
        name: caller.name,
        role: caller.role,
        namespace: caller.namespace,
        expiresAt: caller.expiresAt ?? null,
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/tokens/{id}',
      summary: 'Revoke a token; every gateway refuses it at once',
      tag: 'tokens',
      role: 'admin',
      params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{12}$/, 'a token id as listed by GET /api/v1/tokens') }),
      responses: { 204: { description: 'revoked' }, ...errors, 404: { description: 'no such token' } },
      handler: async ({ params, caller, reply }) => {
        const token = await tokens.get(params.id);
        if (token === null || (caller.namespace !== null && token.namespace !== caller.namespace)) {
          throw new IsolaError('NOT_FOUND', `no token with id ${params.id}; GET /api/v1/tokens lists them`);
        }
        await tokens.revoke(params.id);
        reply.code(204);
        return undefined;
      },
    }),
  ];
}
