/** The Redis key layout of the control plane. Everything Isola stores lives under `isola:`. */
export const redisKeys = {
  functionNames: 'isola:functions',
  functionMeta: (name: string) => `isola:fn:${name}`,
  functionVersion: (name: string, version: number) => `isola:fn:${name}:v:${version}`,
  /** Hash of secret name → sealed value (see SecretStore); plaintext never reaches Redis. */
  functionSecrets: (name: string) => `isola:fn:${name}:secrets`,
  /** Pub/sub channel that announces deploys, so every process drops stale caches at once. */
  eventsChannel: 'isola:events',
} as const;
