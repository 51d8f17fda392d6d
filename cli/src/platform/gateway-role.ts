import type { AddressInfo } from 'node:net';
import { FunctionMetricsReader, LogStore, nodeAuthToken, RecordStore, sidecarAuthToken, TokenStore } from '@isola/core';
import { createGateway } from '@isola/gateway';
import { AdmittingInvoker, ClusterInvoker, type LocalNode } from '@isola/scheduler';
import { startGrpcTrigger } from '@isola/triggers';
import type { AdminToken } from './admin-token.js';
import type { PlatformContext } from './context.js';

export interface GatewayRole {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Where the gRPC trigger listens, host:port (e.g. 127.0.0.1:50051). */
  grpcAddress: string;
  /** Whether it serves a built web console at `/`. */
  consoleServed: boolean;
}

/**
 * A gateway (`isola gateway`, and the front of `isola up`): the control-plane API, the HTTP
 * trigger and the gRPC trigger (ISOLA_GRPC_PORT). Synchronous invocations go to the platform's worker nodes through the
 * ClusterInvoker (the node in this process, if any, directly); async ones to BullMQ.
 */
export async function startGatewayRole(ctx: PlatformContext, adminToken: AdminToken, local?: LocalNode): Promise<GatewayRole> {
  const { config, logger, redis } = ctx;
  const placement = new ClusterInvoker({
    redis,
    nodeToken: nodeAuthToken(ctx.secretKey),
    logger: logger.child({ component: 'placement' }),
    ...(local === undefined ? {} : { local }),
  });
  await placement.start();
  ctx.atStop(() => placement.close());
  const invoker = new AdmittingInvoker(placement, ctx.admission);
  const gateway = await createGateway({
    config,
    logger,
    invoker,
    store: ctx.store,
    tokens: new TokenStore(redis),
    secrets: ctx.secrets,
    functions: ctx.functions,
    recorder: ctx.recorder,
    records: new RecordStore(redis),
    logs: new LogStore(redis, { connect: () => redis.duplicate() }),
    functionMetrics: new FunctionMetricsReader(redis),
    adminToken: adminToken.token,
    internalToken: sidecarAuthToken(ctx.secretKey),
    tokenHint: adminToken.file === null ? 'the token is ISOLA_ADMIN_TOKEN' : `the admin token is in ${adminToken.file}`,
    redisHealthy: async () => (await redis.ping()) === 'PONG',
    queues: ctx.queues,
    redis,
  });
  ctx.onEvent((event) => {
    placement.onEvent(event);
    gateway.onEvent(event);
  });
  ctx.onResubscribed(() => gateway.forgetCached());
  const grpc = await startGrpcTrigger({
    invoker,
    functions: ctx.functions,
    verifier: gateway.verifier,
    recorder: ctx.recorder,
    observe: (fn, httpStatus, outcome, seconds) => gateway.metrics.record(fn, httpStatus, outcome, seconds),
    host: config.host,
    port: config.grpcPort,
    maxMessageBytes: config.maxBodyBytes,
    logger,
  });
  ctx.atStop(() => grpc.close());
  await gateway.app.listen({ host: config.host, port: config.port });
  ctx.atStop(() => gateway.app.close());
  const address = gateway.app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, grpcAddress: `${host}:${grpc.port}`, consoleServed: gateway.consoleServed };
}
