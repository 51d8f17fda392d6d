export * from './errors/catalogue.js';
export * from './errors/isola-error.js';
export * from './manifest/schema.js';
export * from './manifest/parse.js';
export * from './config/config.js';
export * from './logging/logger.js';
export * from './logging/function-output.js';
export * from './invocation/types.js';
export * from './invocation/outcomes.js';
export * from './invocation/headers.js';
export * from './invocation/rpc.js';
export * from './rpc/invoker-proto.js';
export type * from './ipc/worker-messages.js';
export * from './ipc/batcher.js';
export * from './store/keys.js';
export * from './store/function-store.js';
export * from './store/route-claims.js';
export * from './store/function-cache.js';
export * from './bundle/bundler.js';
export * from './api/deploy.js';
export * from './redis/private-redis.js';
export * from './net/free-port.js';
export * from './store/token-store.js';
export * from './api/deploy-archive.js';
export * from './secrets/secret-key.js';
export * from './secrets/secret-box.js';
export * from './store/secret-store.js';
export {
  attemptOf,
  captureInvocation,
  invocationStatuses,
  recordLimits,
  toInvocationRecord,
  type AttemptLifecycle,
  type FinalInvocationStatus,
  type QueuedInvocationInput,
  type InvocationAttempt,
  type InvocationRecord,
  type InvocationRecordInput,
  type InvocationStatus,
  type InvocationTrigger,
  type RecordedResult,
} from './records/invocation-record.js';
export * from './records/invocation-recorder.js';
export * from './records/record-store.js';
export { isLogLevel, logLevels, type LogFilter, type StoredLogLine } from './records/log-stream.js';
export * from './records/log-store.js';
export * from './records/function-metrics-reader.js';
export { latencyBucketBoundsMs } from './records/latency-histogram.js';
export * from './queue/names.js';
export * from './queue/backoff.js';
export * from './queue/jobs.js';
export * from './queue/cloud-events.js';
export * from './queue/connection.js';
export * from './queue/idempotency.js';
export * from './queue/queue-client.js';
export * from './queue/queue-workers.js';
export * from './cluster/wire.js';
export * from './cluster/node-registry.js';
export * from './limits/function-admission.js';
export * from './cron/cron-schedule.js';
export * from './cron/cron-state.js';
export * from './cron/cron-tick.js';
export * from './queue/hand-back.js';
export * from './sidecar/protocol.js';
export * from './auth/token-verifier.js';
export * from './auth/credentials.js';
export * from './queue/published-events.js';
export * from './client/api-client.js';
export type * from './client/api-types.js';
export { readServerSentEvents, type ServerSentEvent } from './client/sse.js';
