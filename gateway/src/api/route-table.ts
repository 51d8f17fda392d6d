import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { IsolaError, type Caller, type Role } from '@isola/core';
import type { BearerAuth } from '../auth/bearer.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext<P, Q, B> {
  request: FastifyRequest;
  reply: FastifyReply;
  params: P;
  query: Q;
  body: B;
  caller: Caller;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

/**
 * One control-plane route: what it needs (role, inputs as zod schemas) and what it answers.
 * The same definition registers the Fastify route, validates every request and produces the
 * OpenAPI document, so the document cannot drift from what the server accepts.
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** OpenAPI style: `/api/v1/functions/{name}`. */
  path: string;
  summary: string;
  tag: string;
  /** Least role allowed; `null` for routes anyone may call. */
  role: Role | null;
  /** The route acts on the function named by the `name` path parameter: namespaces apply. */
  scopedToFunction?: boolean;
  /**
   * A credential the route takes instead of a bearer token (the platform's internal one): the
   * caller it proves, null when the request does not carry it (the bearer token is then
   * required), or a throw when it carries a bad one.
   */
  otherCredential?(request: FastifyRequest): Caller | null;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Body size limit in bytes, when not the server's default. */
  bodyLimit?: number;
  /** Turns a body in one of `extraBodyTypes` (read raw, as a Buffer) into what `body` validates. */
  decodeBody?: (raw: Buffer) => Promise<unknown>;
  /** Request body content types the route takes besides application/json. */
  extraBodyTypes?: string[];
  responses: Record<number, ResponseSpec>;
  handler(context: RouteContext<P, Q, B>): Promise<unknown>;
}

/** Keeps the generic types of one route (a table of routes is `ApiRoute<any, any, any>[]`). */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(route: ApiRoute<P, Q, B>): ApiRoute<P, Q, B> {
  return route;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = ApiRoute<any, any, any>;

export function registerApiRoutes(app: FastifyInstance, routes: readonly AnyRoute[], auth: BearerAuth): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path.replace(/\{(\w+)\}/g, ':$1'),
      ...(route.bodyLimit === undefined ? {} : { bodyLimit: route.bodyLimit }),
      handler: async (request, reply) => {
        const params = parse(route.params, request.params, 'path');
        const caller =
          route.role === null
            ? { tokenId: '', name: 'anonymous', role: 'invoker' as const, namespace: null }
            : (route.otherCredential?.(request) ??
              (await auth.require(request, route.role, route.scopedToFunction ? (params as { name: string }).name : undefined)));
        const query = parse(route.query, request.query, 'query');
        // Archive types are read raw for every route (the deploy route's); only that route takes them.
        if (route.body !== undefined && route.decodeBody === undefined && Buffer.isBuffer(request.body)) {
          throw new IsolaError('UNSUPPORTED_MEDIA_TYPE', `this route takes application/json, not ${request.headers['content-type'] ?? 'a body without a content type'}`);
        }
        const raw = route.decodeBody !== undefined && Buffer.isBuffer(request.body) ? await route.decodeBody(request.body) : request.body;
        const body = route.body === undefined ? undefined : parse(route.body, raw, 'body');
        const result = await route.handler({ request, reply, params, query, body, caller });
        if (reply.sent) return reply;
        if (result === undefined) return reply.code(reply.statusCode === 200 ? 204 : reply.statusCode).send();
        return result;
      },
    });
  }
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'path' | 'query' | 'body'): T {
  if (schema === undefined) return value as T;
  const parsed = schema.safeParse(where === 'body' && value === undefined ? {} : value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message }));
  throw new IsolaError('BAD_REQUEST', `invalid request: ${problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`, { problems });
}

/** OpenAPI 3.1 for the routes, from the same schemas that validate requests. */
export function openApiDocument(routes: readonly AnyRoute[], extraPaths: Record<string, unknown> = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...objectParameters(route.params, 'path'),
      ...objectParameters(route.query, 'query'),
    ];
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: operationId(route),
      ...(route.role === null ? { security: [] } : { description: `Needs a token with role ${route.role} or higher${route.scopedToFunction ? ' whose namespace covers the function' : ''}.` }),
      ...(parameters.length > 0 ? { parameters } : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, spec]) => [
          status,
          {
            description: spec.description,
            ...(spec.schema === undefined && spec.contentType === undefined
              ? {}
              : { content: { [spec.contentType ?? 'application/json']: spec.schema === undefined ? {} : { schema: jsonSchema(spec.schema) } } }),
          },
        ]),
      ),
    };
    if (route.body !== undefined) {
      operation.requestBody = {
        required: true,
        content: {
          'application/json': { schema: jsonSchema(route.body) },
          ...Object.fromEntries((route.extraBodyTypes ?? []).map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
        },
      };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Isola control-plane API', version: '1', description: 'Deploy, version, route, secure and observe functions. Errors are {"error": {"code", "message", ...}}.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(errorSchema) },
    },
    security: [{ bearer: [] }],
    paths: { ...paths, ...extraPaths },
  };
}

export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    invocationId: z.string().optional(),
    problems: z.array(z.object({ path: z.string().optional(), location: z.string().nullable().optional(), message: z.string() })).optional(),
  }),
});

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (schema === undefined) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function operationId(route: AnyRoute): string {
  const words = route.path
    .replace('/api/v1/', '')
    .split('/')
    .map((part) => part.replace(/[{}]/g, ''))
    .filter((part) => part !== '');
  return [route.method.toLowerCase(), ...words.map((word) => word.charAt(0).toUpperCase() + word.slice(1))].join('').replace(/[^\w]/g, '');
}
