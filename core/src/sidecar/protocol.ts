// The contract between the platform's processes and the sidecar (SPEC §6). Functions reach the
// sidecar only through the worker's host bridges, which call the sidecar's Dapr HTTP API with
// the headers below; callers outside the platform send `dapr-api-token` (an Isola API token)
// instead. The sidecar, in turn, calls other functions' RPC methods through a gateway with the
// same internal credential.
import { derivedCredential } from '../auth/credentials.js';

/** The credential worker processes (and the sidecar, towards gateways) present (see derivedCredential). */
export function sidecarAuthToken(secretKey: Buffer): string {
  return derivedCredential(secretKey, 'isola sidecar v1');
}

export const sidecarHeaders = {
  /** The internal credential (sidecarAuthToken). */
  token: 'x-isola-sidecar-token',
  /** The calling function and the version running, `name@version` (e.g. `cart-api@3`). */
  caller: 'x-isola-function',
  /** The invocation the call is made for, for logs and records. */
  invocationId: 'x-isola-invocation-id',
  /**
   * How many function-to-function calls led to this one (0: called by a trigger). A call chain
   * longer than maxCallDepth is refused, so two functions calling each other cannot loop forever.
   */
  callDepth: 'x-isola-call-depth',
  /** W3C trace context, passed through on every call. */
  traceparent: 'traceparent',
  /** Dapr's API token header: callers outside the platform send an Isola API token in it. */
  daprApiToken: 'dapr-api-token',
} as const;

/** The longest chain of function-to-function calls (A → B → C ... counts each arrow). */
export const maxCallDepth = 8;

/** `name@version` for the caller header. */
export function callerHeaderValue(name: string, version: number): string {
  return `${name}@${version}`;
}

/** Parses `name@version`; null when malformed. */
export function parseCallerHeader(value: string | undefined): { name: string; version: number } | null {
  if (value === undefined) return null;
  const match = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)@([1-9][0-9]{0,8})$/.exec(value);
  if (match === null) return null;
  return { name: match[1] as string, version: Number(match[2]) };
}

/**
 * The prefix a function's keys get in a state or lock store whose `keyPrefix` is `appid` (the
 * default, as in Dapr, where the app id is the function's name — which carries its namespace).
 */
export function appKeyPrefix(functionName: string): string {
  return `${functionName}||`;
}

/** The components `isola up` starts with when no component files are configured (SPEC §6). */
export const defaultComponentNames = {
  state: 'statestore',
  pubsub: 'pubsub',
  configuration: 'configstore',
  lock: 'lockstore',
  secrets: 'secretstore',
} as const;
