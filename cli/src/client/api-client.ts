import { IsolaError, isErrorShape, type DeployResponse, type ErrorBody } from '@isola/core';

/** A small client of the control-plane API, used by the CLI and the tests. */
export class IsolaClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  deploy(manifest: Record<string, unknown>, files: Record<string, string>): Promise<DeployResponse> {
    return this.request<DeployResponse>('POST', '/api/v1/functions', { manifest, files });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.url), {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new IsolaError('NOT_READY', `cannot reach Isola at ${this.url} (${(error as Error).message}); is "isola up" running? set --url or ISOLA_URL`);
    }
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (!response.ok) {
      const error = (parsed as Partial<ErrorBody> | undefined)?.error;
      if (isErrorShape(error)) throw IsolaError.fromShape(error);
      throw new IsolaError('INTERNAL', `${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    return parsed as T;
  }
}
