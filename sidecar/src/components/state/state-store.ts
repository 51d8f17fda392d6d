import { DaprError } from '../../api/dapr-error.js';

/** A stored value: its JSON text as saved, and its ETag (a version number, as Dapr's state.redis). */
export interface StateItem {
  value: string;
  etag: string;
}

/**
 * The condition a write holds to (Dapr's optimistic concurrency): `{etag}` the stored version must
 * be that one (a key that does not exist has none: the write is refused); `absent` the key must
 * not exist (first-write without an ETag); null none (last-write).
 */
export type WriteCondition = { etag: string } | 'absent' | null;

export type StateWrite =
  | { kind: 'upsert'; key: string; value: string; condition: WriteCondition; /** > 0: expires; absent: kept until deleted. */ ttlSeconds?: number }
  | { kind: 'delete'; key: string; condition: WriteCondition };

/**
 * A state store (Dapr's state building block). Leaves out queries, bulk delete and consistency
 * levels (every implementation is strongly consistent). Keys reach it already prefixed.
 */
export interface StateStore {
  /** The item, or null when there is none (or it expired). */
  get(key: string): Promise<StateItem | null>;
  /** Items in the order of the keys, null for missing ones, in one round trip. */
  getBulk(keys: readonly string[]): Promise<(StateItem | null)[]>;
  /**
   * Applies every write or none, atomically: when a condition does not hold, nothing is written
   * and EtagMismatch names the first key whose condition failed.
   */
  write(writes: readonly StateWrite[]): Promise<void>;
  close(): Promise<void>;
}

/** A write's condition did not hold (409, as Dapr's ETag mismatch; the API gives it the error code of the operation). */
export class EtagMismatch extends DaprError {
  constructor(
    readonly key: string,
    condition: WriteCondition,
  ) {
    super(
      409,
      'ERR_STATE_SAVE',
      condition === 'absent'
        ? `possible etag mismatch: key "${key}" already exists and first-write concurrency was asked without an ETag; read it and write with its ETag`
        : `possible etag mismatch: key "${key}" is not at the ETag given (it changed or was deleted); read it again and retry with the new ETag`,
    );
  }
}

/** Whether a stored version (null: no such key) meets a condition; shared by the implementations that check in JavaScript. */
export function conditionHolds(condition: WriteCondition, version: string | null): boolean {
  if (condition === null) return true;
  if (condition === 'absent') return version === null;
  return version === condition.etag;
}
