/** The Redis key layout of the control plane. Everything Isola stores lives under `isola:`. */
export const redisKeys = {
  functionNames: 'isola:functions',
  functionMeta: (name: string) => `isola:fn:${name}`,
  functionVersion: (name: string, version: number) => `isola:fn:${name}:v:${version}`,
  /** Hash: token id → token info with its digest (never the token). */
  tokens: 'isola:tokens',
  /** String: SHA-256 digest of a token → its id. */
  tokenDigest: (digest: string) => `isola:token:${digest}`,
  /** Hash: alias name → its target (`{"version":3}` or `{"weights":{"3":90,"4":10}}`). */
  functionAliases: (name: string) => `isola:fn:${name}:aliases`,
  /** Hash of secret name → sealed value (see SecretStore); plaintext never reaches Redis. */
  functionSecrets: (name: string) => `isola:fn:${name}:secrets`,
  /** String: id of the key the platform's secrets are sealed with (SecretBox.keyId), to spot a mismatch. */
  secretKeyId: 'isola:secret-key-id',
  /** Pub/sub channel that announces deploys, so every process drops stale caches at once. */
  eventsChannel: 'isola:events',
  /** One invocation record (JSON), expiring after the record TTL. */
  invocationRecord: (id: string) => `isola:inv:${id}`,
  /** Sorted set of a function's invocation ids, scored by start time (epoch ms). */
  functionInvocations: (name: string) => `isola:fn:${name}:invocations`,
  /** The same index for one status (`succeeded` or `failed`). */
  functionInvocationsByStatus: (name: string, status: string) => `isola:fn:${name}:invocations:${status}`,
  /**
   * Hash of the function's quarantined versions (version → `{codeHash, reason, at}` as JSON),
   * written by the schedulers that quarantined them so the API can show it. Gone with the
   * function (every `isola:fn:<name>:*` key is).
   */
  functionQuarantine: (name: string) => `isola:fn:${name}:quarantine`,
  /** Stream of a function's log lines; entry ids are the time the line was stored. */
  functionLogs: (name: string) => `isola:fn:${name}:logs`,
  /** Hash of one minute's invocation metrics; `minuteStartSeconds` is the minute's start in epoch seconds. */
  functionMetrics: (name: string, minuteStartSeconds: number) => `isola:fn:${name}:metrics:${minuteStartSeconds}`,
  /** String (with the idempotency window as expiry): `{id, body}` of the first submission with an Idempotency-Key (sha256 of the key). */
  idempotencyKey: (name: string, keyDigest: string) => `isola:idem:${name}:${keyDigest}`,
  /** Hash: topic → the function consuming it (its `queues:` entry as JSON); written by deploy. */
  topicConsumers: 'isola:topics',
  /**
   * Hash: route pattern (a `routes:` path) → the RouteClaim serving it (JSON): the routes of the
   * versions each function's `latest` serves, written with each move of `latest`, read by gateways.
   */
  httpRoutes: 'isola:routes',
  /**
   * Hash of each schedule's bookkeeping (see CronStateStore), fields `<cron id>:last` (newest tick
   * enqueued, epoch ms), `:scanned` (ticks up to here enqueued or reported missed), `:missed`
   * (count) and `:capped`.
   */
  functionCronState: (name: string) => `isola:fn:${name}:cron`,
  /** Sorted set of missed ticks, `<cron id>:<ms>` scored by the tick's time (the newest 1,000). */
  functionCronMissed: (name: string) => `isola:fn:${name}:cron:missed`,
  /** Set of the ids of worker nodes that announced themselves (some may have expired). */
  nodes: 'isola:nodes',
  /** String (expiring unless refreshed): a worker node's NodeInfo as JSON. */
  node: (id: string) => `isola:node:${id}`,
  /** Sorted set of the function's admitted invocations (FunctionAdmission): invocation id scored by its lease's expiry (Redis time, µs). */
  functionInFlight: (name: string) => `isola:fn:${name}:in-flight`,
  /** Hash `{tokens, at}`: the function's rate-limit token bucket (FunctionAdmission); `at` is Redis time in ms. */
  functionRateBucket: (name: string) => `isola:fn:${name}:rate`,
  /** Set of BullMQ queue names that have been used (function queues get one on first async use). */
  queueNames: 'isola:queues',
} as const;
