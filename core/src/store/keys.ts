/** The Redis key layout of the control plane. Everything Isola stores lives under `isola:`. */
export const redisKeys = {
  functionNames: 'isola:functions',
  functionMeta: (name: string) => `isola:fn:${name}`,
  functionVersion: (name: string, version: number) => `isola:fn:${name}:v:${version}`,
  /** Pub/sub channel that announces deploys, so every process drops stale caches at once. */
  eventsChannel: 'isola:events',
  /** One invocation record (JSON), expiring after the record TTL. */
  invocationRecord: (id: string) => `isola:inv:${id}`,
  /** Sorted set of a function's invocation ids, scored by start time (epoch ms). */
  functionInvocations: (name: string) => `isola:fn:${name}:invocations`,
  /** The same index for one status (`succeeded` or `failed`). */
  functionInvocationsByStatus: (name: string, status: string) => `isola:fn:${name}:invocations:${status}`,
  /** Stream of a function's log lines; entry ids are the time the line was stored. */
  functionLogs: (name: string) => `isola:fn:${name}:logs`,
  /** Hash of one minute's invocation metrics; `minuteStartSeconds` is the minute's start in epoch seconds. */
  functionMetrics: (name: string, minuteStartSeconds: number) => `isola:fn:${name}:metrics:${minuteStartSeconds}`,
} as const;
