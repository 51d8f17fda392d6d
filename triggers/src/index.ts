export { TopicConsumers, type AsyncGate, type TopicConsumersOptions } from './message/topic-consumer.js';
export { MessageBatcher, type PendingMessage } from './message/message-batcher.js';
export { CronTrigger, type CronTriggerOptions } from './cron/cron-trigger.js';
export { startGrpcTrigger, type GrpcTrigger, type GrpcTriggerOptions } from './rpc/grpc-trigger.js';
export { grpcStatusOf } from './rpc/grpc-status.js';
