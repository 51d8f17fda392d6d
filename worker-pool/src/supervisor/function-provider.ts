import type { FunctionVersionWithCode } from '@isola/core';

/**
 * Where worker processes get function code and secrets when they have no Redis of their own
 * (`isola dev`, the testing helper): the supervisor answers their requests over IPC from this.
 * Without one, workers read the platform's function store and secret store in Redis.
 */
export interface FunctionProvider {
  /** The version with its bundle; null when there is no such version. */
  version(name: string, version: number): Promise<FunctionVersionWithCode | null>;
  /** The function's secrets, decrypted (they become part of its env). */
  secrets(name: string): Promise<Record<string, string>>;
}

/** The environment variable that tells a forked worker to ask its supervisor for functions. */
export const workerCodeSourceVariable = 'ISOLA_WORKER_CODE_SOURCE';
