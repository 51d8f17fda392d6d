// HTTP helpers: one error type and one place that turns it into a JSON response, so every
// failure has the same shape as the platform's own errors: {"error": {"code", "message", "details"}}.

export interface Problem {
  path: string;
  message: string;
}

/** An error the client should see as it is, with a status and a stable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toResponse(): Response {
    const error = { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) };
    return Response.json({ error }, { status: this.status, headers: this.headers });
  }
}

/** The JSON body of a POST/PATCH, or a 415/400 that says what was wrong with it. */
export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as JSON with "content-type: application/json" (got ${type === '' ? 'no content-type' : `"${type}"`})`);
  }
  const text = await request.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'BAD_REQUEST', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** An entity tag for a stored version: the store's etag, quoted as HTTP wants it. */
export function entityTag(storeEtag: string): string {
  return `"${storeEtag}"`;
}

/**
 * Whether an If-Match header matches the stored version. If-Match uses the strong comparison:
 * a weak tag (W/"...") never matches, "*" matches any stored version.
 */
export function ifMatchAccepts(header: string, storeEtag: string): boolean {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag === entityTag(storeEtag));
}
