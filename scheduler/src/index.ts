export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { placeInvocation } from './placement.js';
export { Quarantine } from './quarantine.js';
export { InvocationConsumer, invocationRequestOf, type InvocationConsumerOptions, type InvocationJobResult } from './async/invocation-consumer.js';
export { SlotGate } from './async/slot-gate.js';
export { CallbackSender, callbackQueueName, type CallbackSenderOptions } from './async/callbacks.js';
export { ClusterInvoker, type ClusterInvokerOptions, type LocalNode } from './cluster/cluster-invoker.js';
export { NodeServer, type NodeServerOptions } from './cluster/node-server.js';
export { rendezvousOrder } from './cluster/rendezvous.js';
