import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { malformed } from './dapr-error.js';

/** The raw body (every content type is read as bytes; empty when there is none). */
export function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

/** The body as JSON (400 ERR_MALFORMED_REQUEST otherwise); `undefined` for an empty body. */
export function jsonBody(request: FastifyRequest): unknown {
  const body = rawBody(request);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw malformed(`failed deserializing HTTP body: ${(error as Error).message}`);
  }
}

/** Dapr's `metadata.<name>=value` query parameters, as a record. */
export function queryMetadata(request: FastifyRequest): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
    if (!name.startsWith('metadata.')) continue;
    const single = Array.isArray(value) ? value[0] : value;
    if (typeof single === 'string') metadata[name.slice('metadata.'.length)] = single;
  }
  return metadata;
}

/** Every value of a repeated query parameter (`?key=a&key=b`). */
export function queryList(request: FastifyRequest, name: string): string[] {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string' && item !== '');
}

/** A parsed body checked against its schema; 400 ERR_MALFORMED_REQUEST with `hint` and every problem otherwise. */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown, hint: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
  throw malformed(`${hint} (${problems})`);
}
