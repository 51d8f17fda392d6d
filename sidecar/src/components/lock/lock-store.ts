/** Dapr's unlock statuses: 0 released, 1 no such lock, 2 held by another owner (3, an internal error, is the API's). */
export type UnlockStatus = 0 | 1 | 2;

/** A distributed lock store (Dapr's lock building block). Resource ids reach it already prefixed. */
export interface LockStore {
  /** Takes the lock for `owner` unless someone holds it; it lapses after `expirySeconds`. */
  tryLock(resourceId: string, owner: string, expirySeconds: number): Promise<boolean>;
  /** Releases the lock if `owner` holds it. */
  unlock(resourceId: string, owner: string): Promise<UnlockStatus>;
  close(): Promise<void>;
}
