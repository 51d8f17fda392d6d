import type { InvocationOutcome, InvocationRequest } from '../invocation/types.js';

/**
 * How invocations travel between a gateway and a worker node (the node's internal HTTP
 * endpoint): a frame of `[u32 big-endian length of the JSON][the JSON][raw body bytes]`. The
 * JSON is the request or outcome without its body; the body follows as bytes, so a 6 MB body
 * is neither base64-encoded nor parsed as JSON. Both sides are Isola; the format is internal.
 */
export const invocationFrameType = 'application/vnd.isola.invocation';

function frame(meta: unknown, body: Uint8Array | undefined): Buffer {
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(json.byteLength, 0);
  return body === undefined || body.byteLength === 0 ? Buffer.concat([head, json]) : Buffer.concat([head, json, body]);
}

function unframe(bytes: Buffer): { meta: unknown; body: Buffer | undefined } {
  if (bytes.byteLength < 4) throw new Error('invocation frame too short');
  const length = bytes.readUInt32BE(0);
  if (4 + length > bytes.byteLength) throw new Error('invocation frame truncated');
  const meta: unknown = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8'));
  const body = bytes.byteLength > 4 + length ? bytes.subarray(4 + length) : undefined;
  return { meta, body };
}

export function encodeInvocationRequest(request: InvocationRequest): Buffer {
  if (request.trigger !== 'http' || request.request.body === undefined) return frame(request, undefined);
  const { body, ...rest } = request.request;
  return frame({ ...request, request: rest }, body);
}

export function decodeInvocationRequest(bytes: Buffer): InvocationRequest {
  const { meta, body } = unframe(bytes);
  const request = meta as InvocationRequest;
  if (typeof request !== 'object' || request === null || typeof request.invocationId !== 'string' || typeof request.function !== 'object') {
    throw new Error('not an invocation request');
  }
  if (body !== undefined && request.trigger === 'http') request.request.body = body;
  return request;
}

export function encodeInvocationOutcome(outcome: InvocationOutcome): Buffer {
  if (!outcome.ok || outcome.response.body === undefined) return frame(outcome, undefined);
  const { body, ...rest } = outcome.response;
  return frame({ ...outcome, response: rest }, body);
}

export function decodeInvocationOutcome(bytes: Buffer): InvocationOutcome {
  const { meta, body } = unframe(bytes);
  const outcome = meta as InvocationOutcome;
  if (typeof outcome !== 'object' || outcome === null || typeof outcome.ok !== 'boolean') throw new Error('not an invocation outcome');
  if (body !== undefined && outcome.ok) outcome.response.body = body;
  return outcome;
}
