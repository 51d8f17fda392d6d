/**
 * BullMQ queue names and job ids. BullMQ keys live under `isola:q:<queue>:…`, so everything
 * stays under `isola:` (see redisKeys). Names and custom job ids may not contain `:`, and a job
 * id may not look like an integer (BullMQ's own ids are integers).
 */
export const queuePrefix = 'isola:q';

/** The queue of a function's async invocations and cron ticks. */
export function functionQueueName(functionName: string): string {
  return `fn.${functionName}`;
}

/** The queue behind a message topic. */
export function topicQueueName(topic: string): string {
  return `t.${topic}`;
}

/**
 * How the queues API names queues: a topic by its name, a function's async queue as
 * `fn:<name>` — `:` cannot start or occur in a topic name, so the two never collide.
 */
export type QueueRef = { kind: 'topic'; topic: string } | { kind: 'function'; function: string };

export function queueRefId(ref: QueueRef): string {
  return ref.kind === 'topic' ? ref.topic : `fn:${ref.function}`;
}

export function queueNameOf(ref: QueueRef): string {
  return ref.kind === 'topic' ? topicQueueName(ref.topic) : functionQueueName(ref.function);
}

/** The reference behind a BullMQ queue name, or null for a name Isola did not make. */
export function queueRefOfName(name: string): QueueRef | null {
  if (name.startsWith('fn.')) return { kind: 'function', function: name.slice(3) };
  if (name.startsWith('t.')) return { kind: 'topic', topic: name.slice(2) };
  return null;
}

const jobIdPattern = /^[A-Za-z0-9._-]{1,200}$/;

/** Whether BullMQ takes this as a custom job id. */
export function isValidJobId(id: string): boolean {
  return jobIdPattern.test(id) && !/^\d+$/.test(id);
}
