/** The Redis key layout of the control plane. Everything Isola stores lives under `isola:`. */
export const redisKeys = {
  functionNames: 'isola:functions',
  functionMeta: (name: string) => `isola:fn:${name}`,
  functionVersion: (name: string, version: number) => `isola:fn:${name}:v:${version}`,
  /** Pub/sub channel that announces deploys, so every process drops stale caches at once. */
  eventsChannel: 'isola:events',
} as const;
