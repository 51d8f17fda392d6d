import {
  authorize,
  credentialMatches,
  IsolaError,
  maxCallDepth,
  parseCallerHeader,
  sidecarAuthToken,
  sidecarHeaders,
  type FunctionEvent,
  type FunctionStore,
  type TokenVerifier,
} from '@isola/core';
import { DaprError } from '../api/dapr-error.js';
import { grantsOf, type Grants } from './grants.js';

/** Who calls the sidecar: a function version (through its worker), or an admin outside the platform. */
export type SidecarCaller =
  | {
      kind: 'function';
      name: string;
      version: number;
      grants: Grants;
      /** Function-to-function calls that led to this invocation (0: a trigger). */
      depth: number;
      invocationId: string | undefined;
      traceparent: string | undefined;
    }
  | { kind: 'admin'; tokenName: string; traceparent: string | undefined };

type Headers = Record<string, string | string[] | undefined>;

/** Function versions whose grants are kept (versions never change, so entries never go stale). */
const maxCachedVersions = 10_000;

/**
 * Tells who calls. Worker processes send the internal credential (compared in constant time
 * with one computed at start) and name the function version they run it for; that version's
 * manifest (read once, cached) says what it may reach. Callers outside the platform send an
 * Isola API token in `dapr-api-token`, which must have role admin. Neither: 401.
 */
export class CallerAuth {
  private readonly internalToken: string;
  private readonly grants = new Map<string, Promise<Grants>>();

  constructor(
    secretKey: Buffer,
    private readonly verifier: TokenVerifier,
    private readonly store: Pick<FunctionStore, 'getVersion'>,
  ) {
    this.internalToken = sidecarAuthToken(secretKey);
  }

  async resolve(headers: Headers): Promise<SidecarCaller> {
    const traceparent = single(headers[sidecarHeaders.traceparent]);
    const internal = single(headers[sidecarHeaders.token]);
    if (internal !== undefined) {
      if (!credentialMatches(this.internalToken, internal)) {
        throw new DaprError(401, 'ERR_UNAUTHORIZED', `invalid ${sidecarHeaders.token}: it is derived from the platform's secret key; check that the worker and the sidecar share ISOLA_SECRET_KEY`);
      }
      return this.functionCaller(headers, traceparent);
    }
    const token = single(headers[sidecarHeaders.daprApiToken]);
    if (token === undefined) {
      throw new DaprError(401, 'ERR_UNAUTHORIZED', `no credentials: send an Isola API token of role admin in the ${sidecarHeaders.daprApiToken} header (DAPR_API_TOKEN for Dapr SDKs)`);
    }
    try {
      const caller = await this.verifier.verify(token, `the ${sidecarHeaders.daprApiToken} header`);
      authorize(caller, 'admin');
      return { kind: 'admin', tokenName: caller.name, traceparent };
    } catch (error) {
      if (error instanceof IsolaError && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN')) {
        throw new DaprError(error.status, error.code === 'UNAUTHORIZED' ? 'ERR_UNAUTHORIZED' : 'ERR_PERMISSION_DENIED', error.code === 'FORBIDDEN' ? `${error.message}: callers outside the platform reach the sidecar with an admin token` : error.message);
      }
      throw error;
    }
  }

  /** A deleted function may come back with the same version numbers: forget its versions. */
  onEvent(event: FunctionEvent): void {
    if (event.type === 'deleted') {
      for (const key of this.grants.keys()) if (key.startsWith(`${event.name}@`)) this.grants.delete(key);
    }
    this.verifier.onEvent(event);
  }

  /** After the event subscription reconnected: events may have been missed. */
  clear(): void {
    this.grants.clear();
    this.verifier.clear();
  }

  private async functionCaller(headers: Headers, traceparent: string | undefined): Promise<SidecarCaller> {
    const callerHeader = single(headers[sidecarHeaders.caller]);
    const parsed = parseCallerHeader(callerHeader);
    if (parsed === null) {
      throw new DaprError(400, 'ERR_MALFORMED_REQUEST', `${sidecarHeaders.caller} must name the calling function version as name@version (got ${JSON.stringify(callerHeader ?? null)})`);
    }
    const depthHeader = single(headers[sidecarHeaders.callDepth]);
    const depth = depthHeader === undefined ? 0 : Number(depthHeader);
    if (!Number.isInteger(depth) || depth < 0 || depth > maxCallDepth) {
      throw new DaprError(400, 'ERR_MALFORMED_REQUEST', `${sidecarHeaders.callDepth} must be a whole number from 0 to ${maxCallDepth}`);
    }
    return {
      kind: 'function',
      name: parsed.name,
      version: parsed.version,
      grants: await this.grantsOf(callerHeader as string, parsed.name, parsed.version),
      depth,
      invocationId: single(headers[sidecarHeaders.invocationId]),
      traceparent,
    };
  }

  private grantsOf(key: string, name: string, version: number): Promise<Grants> {
    let grants = this.grants.get(key);
    if (grants === undefined) {
      grants = this.store.getVersion(name, version).then((found) => {
        if (found === null) throw new DaprError(403, 'ERR_PERMISSION_DENIED', `function ${key} is not deployed; the sidecar serves deployed function versions only`);
        return grantsOf(found.manifest.bindings as Record<string, unknown>);
      });
      grants.catch(() => this.grants.delete(key));
      if (this.grants.size >= maxCachedVersions) this.grants.delete(this.grants.keys().next().value as string);
      this.grants.set(key, grants);
    }
    return grants;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
