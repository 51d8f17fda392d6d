import { callerHeaderValue, maxCallDepth, sidecarAuthToken, sidecarHeaders } from '@isola/core';
import { Pool } from 'undici';
import type { SidecarCaller } from '../auth/caller-auth.js';
import { DaprError } from '../api/dapr-error.js';

/** What a gateway answered: its status and body, passed on as they are (errors keep the gateway's JSON). */
export interface GatewayReply {
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * Calls functions' RPC methods through a gateway (`POST /api/v1/functions/{fn}/rpc/{method}`)
 * with the internal credential, the caller's identity, the call depth plus one, its invocation
 * id and trace context. One keep-alive pool for every call.
 */
export class GatewayClient {
  private pool: Pool | null = null;
  private readonly token: string;

  constructor(gatewayUrl: string | undefined, secretKey: Buffer) {
    if (gatewayUrl !== undefined) this.setUrl(gatewayUrl);
    this.token = sidecarAuthToken(secretKey);
  }

  /** Points the client at another gateway (`isola up` tells its sidecar once its gateway listens). */
  setUrl(gatewayUrl: string): void {
    void this.pool?.close();
    this.pool = new Pool(gatewayUrl, { connections: 64, pipelining: 1 });
  }

  /** Invokes `fn.method(...args)`; `argsJson` is the JSON array of the arguments. */
  async invoke(caller: SidecarCaller, fn: string, method: string, argsJson: string): Promise<GatewayReply> {
    const depth = (caller.kind === 'function' ? caller.depth : 0) + 1;
    if (depth > maxCallDepth) {
      throw new DaprError(
        508,
        'ERR_DIRECT_INVOKE',
        `calling ${fn}.${method} would make a chain of ${depth} function-to-function calls, over the limit of ${maxCallDepth}; look for functions calling each other in a loop`,
      );
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', [sidecarHeaders.token]: this.token, [sidecarHeaders.callDepth]: String(depth) };
    if (caller.kind === 'function') {
      headers[sidecarHeaders.caller] = callerHeaderValue(caller.name, caller.version);
      if (caller.invocationId !== undefined) headers[sidecarHeaders.invocationId] = caller.invocationId;
    }
    if (caller.traceparent !== undefined) headers[sidecarHeaders.traceparent] = caller.traceparent;
    if (this.pool === null) throw new DaprError(503, 'ERR_DIRECT_INVOKE', `fail to invoke, id: ${fn}, err: the sidecar knows no gateway yet (ISOLA_GATEWAY_URL)`);
    let response;
    try {
      response = await this.pool.request({
        method: 'POST',
        path: `/api/v1/functions/${encodeURIComponent(fn)}/rpc/${encodeURIComponent(method)}`,
        headers,
        body: argsJson,
      });
    } catch (error) {
      throw new DaprError(502, 'ERR_DIRECT_INVOKE', `fail to invoke, id: ${fn}, err: the gateway did not answer (${(error as Error).message})`);
    }
    const body = Buffer.from(await response.body.arrayBuffer());
    const contentType = response.headers['content-type'];
    return { status: response.statusCode, contentType: typeof contentType === 'string' ? contentType : 'application/json', body };
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
