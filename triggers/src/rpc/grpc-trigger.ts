import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import {
  authorize,
  bearerToken,
  defaultAlias,
  dnsLabel,
  invokerProto,
  IsolaError,
  logFunctionOutput,
  platformHeaders,
  rpcArgsProblem,
  rpcInvocation,
  rpcResultJson,
  servingVersion,
  statusOf,
  type AliasCache,
  type ErrorShape,
  type InvocationOutcome,
  type InvocationRecorder,
  type Invoker,
  type Logger,
  type TokenVerifier,
} from '@isola/core';
import { grpcStatusOf } from './grpc-status.js';
import { reflectionDefinition } from './reflection-descriptors.js';

export interface GrpcTriggerOptions {
  invoker: Invoker;
  /** Resolves the version an alias serves, as for the HTTP trigger. */
  functions: AliasCache;
  /** Checks the `authorization: Bearer <token>` metadata. */
  verifier: TokenVerifier;
  recorder: InvocationRecorder;
  /** Sees every finished invocation with the HTTP status its code stands for (the gateway's Prometheus metrics). */
  observe?(fn: string, httpStatus: number, outcome: InvocationOutcome, seconds: number): void;
  host: string;
  /** 0 picks a free port (the result says which). */
  port: number;
  /** The largest request and reply message (the platform's body limit). */
  maxMessageBytes: number;
  logger: Logger;
  /** How long close() lets calls in flight finish before it cancels them (default 5 s). */
  shutdownGraceMs?: number;
}

export interface GrpcTrigger {
  /** The port bound. */
  port: number;
  /** Stops taking calls, lets those in flight finish (up to the grace period), then cancels the rest. */
  close(): Promise<void>;
}

/** InvokeRequest and InvokeReply as proto-loader presents them (keepCase: the proto's field names). */
interface InvokeRequest {
  function: string;
  method: string;
  json_args: string;
  metadata: Record<string, string>;
}

interface InvokeReply {
  json_result: string;
  invocation_id: string;
}

/** Metadata naming the alias to serve (default `latest`), as X-Isola-Alias does over HTTP. */
const aliasMetadata = 'x-isola-alias';
/** Trailer carrying the Isola error code of a failed call. */
const errorCodeMetadata = 'x-isola-error-code';
/** Room for the reply's framing around a return value as large as the body limit. */
const replyOverheadBytes = 4 * 1024;

/**
 * The RPC trigger (SPEC §5): the gRPC service `isola.v1.Invoker` (core/proto/isola/v1/invoker.proto)
 * with server reflection, so stock clients need only the address. `Invoke` runs a function's RPC
 * method through the invoker, like the RPC route of the gateway; errors become gRPC statuses
 * (grpc-status.ts), a deadline bounds the function's run, and every call is recorded.
 */
export async function startGrpcTrigger(options: GrpcTriggerOptions): Promise<GrpcTrigger> {
  const logger = options.logger.child({ component: 'grpc' });
  const definition = protoLoader.loadSync(invokerProto.file, { includeDirs: [invokerProto.includeDir], keepCase: true, defaults: true });
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes + replyOverheadBytes,
  });
  server.addService(definition[invokerProto.service] as grpc.ServiceDefinition, {
    Invoke: (call: grpc.ServerUnaryCall<InvokeRequest, InvokeReply>, callback: grpc.sendUnaryData<InvokeReply>) => {
      void invoke(options, logger, call, callback);
    },
  });
  new ReflectionService(reflectionDefinition(definition, invokerProto.file)).addToServer(server);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error)));
  });
  const graceMs = options.shutdownGraceMs ?? 5_000;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ graceMs }, 'gRPC calls still running after the grace period: cancelling them');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** One Invoke call; answers through `callback`, never throws. */
async function invoke(
  options: GrpcTriggerOptions,
  logger: Logger,
  call: grpc.ServerUnaryCall<InvokeRequest, InvokeReply>,
  callback: grpc.sendUnaryData<InvokeReply>,
): Promise<void> {
  const started = performance.now();
  let invocationId: string | undefined;
  try {
    const { function: name, method, json_args: jsonArgs, metadata } = call.request;
    const caller = await options.verifier.verify(presentedToken(call.metadata), 'the authorization metadata');
    if (!dnsLabel.safeParse(name).success) {
      throw new IsolaError('BAD_REQUEST', `function ${JSON.stringify(name)} is not a function name: set InvokeRequest.function to a deployed function's name ([a-z0-9-], 1..63)`);
    }
    authorize(caller, 'invoker', name);
    const argsJson = jsonArgs === '' ? '[]' : jsonArgs;
    const argsProblem = rpcArgsProblem(argsJson);
    if (argsProblem !== null) throw new IsolaError('BAD_REQUEST', `InvokeRequest.json_args: ${argsProblem}`);
    const fn = await servingVersion(options.functions, name, aliasOf(call.metadata), `the ${aliasMetadata} metadata`);
    const remainingMs = remainingDeadlineMs(call);
    if (remainingMs <= 0) throw new IsolaError('FUNCTION_TIMEOUT', 'the call\'s deadline passed before the function could start');
    invocationId = randomUUID();
    const invocation = rpcInvocation(fn, invocationId, { method, argsJson }, {
      ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
      ...(Number.isFinite(remainingMs) ? { timeoutMs: remainingMs } : {}),
    });
    const outcome = await options.invoker.invoke(invocation);
    const elapsedMs = performance.now() - started;
    logFunctionOutput(logger, outcome, { function: fn.name, version: fn.version, invocationId });
    const httpStatus = outcome.ok ? outcome.response.status : statusOf(outcome.error.code);
    options.recorder.record({ request: invocation, outcome, trigger: 'rpc', elapsedMs, httpStatus });
    options.observe?.(fn.name, httpStatus, outcome, elapsedMs / 1000);
    const replyMetadata = new grpc.Metadata();
    replyMetadata.set(platformHeaders.invocationId, invocationId);
    replyMetadata.set(platformHeaders.version, String(fn.version));
    replyMetadata.set(platformHeaders.coldStart, String(outcome.coldStart));
    call.sendMetadata(replyMetadata);
    if (outcome.ok) callback(null, { json_result: rpcResultJson(outcome.response), invocation_id: invocationId });
    else callback(grpcError(outcome.error, invocationId));
  } catch (error) {
    if (!(error instanceof IsolaError)) logger.error({ err: error, invocationId }, 'the gRPC trigger failed to run a call');
    const shape: ErrorShape = error instanceof IsolaError ? error.toShape() : { code: 'INTERNAL', message: 'the gRPC trigger failed to run the call; see the platform logs' };
    callback(grpcError(shape, invocationId));
  }
}

/** The token of the `authorization: Bearer <token>` metadata; a 401 when there is none. */
function presentedToken(metadata: grpc.Metadata): string {
  const [header] = metadata.get('authorization');
  if (header === undefined) throw new IsolaError('UNAUTHORIZED', 'missing token: send the metadata "authorization: Bearer <token>" with an Isola API token of role invoker');
  const token = typeof header === 'string' ? bearerToken(header) : null;
  if (token === null) throw new IsolaError('UNAUTHORIZED', 'the authorization metadata must be "Bearer <token>"');
  return token;
}

function aliasOf(metadata: grpc.Metadata): string {
  const [alias] = metadata.get(aliasMetadata);
  return typeof alias === 'string' && alias !== '' ? alias : defaultAlias;
}

/** Milliseconds until the call's deadline; Infinity without one. */
function remainingDeadlineMs(call: grpc.ServerUnaryCall<InvokeRequest, InvokeReply>): number {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return at === Infinity ? Infinity : at - Date.now();
}

/** The gRPC status for an Isola error: its message as the details, its code (and the invocation id) as trailers. */
function grpcError(error: ErrorShape, invocationId: string | undefined): Partial<grpc.StatusObject> {
  const trailers = new grpc.Metadata();
  trailers.set(errorCodeMetadata, error.code);
  if (invocationId !== undefined) trailers.set(platformHeaders.invocationId, invocationId);
  return { code: grpcStatusOf[error.code], details: error.message, metadata: trailers };
}
