import type { LockStore, UnlockStatus } from './lock-store.js';

/**
 * `lock.in-memory`: locks in the sidecar process, for tests and local runs. The same rules as
 * lock.redis: a lock is taken once until its owner releases it or it lapses after its expiry.
 */
export class MemoryLockStore implements LockStore {
  /** Resource id → owner and when the lock lapses (epoch ms). */
  private readonly locks = new Map<string, { owner: string; expiresAt: number }>();

  async tryLock(resourceId: string, owner: string, expirySeconds: number): Promise<boolean> {
    if (this.held(resourceId) !== undefined) return false;
    this.locks.set(resourceId, { owner, expiresAt: Date.now() + expirySeconds * 1000 });
    return true;
  }

  async unlock(resourceId: string, owner: string): Promise<UnlockStatus> {
    const lock = this.held(resourceId);
    if (lock === undefined) return 1;
    if (lock.owner !== owner) return 2;
    this.locks.delete(resourceId);
    return 0;
  }

  async close(): Promise<void> {
    this.locks.clear();
  }

  /** The lock on the resource, unless it lapsed (a lapsed one is dropped). */
  private held(resourceId: string): { owner: string; expiresAt: number } | undefined {
    const lock = this.locks.get(resourceId);
    if (lock !== undefined && lock.expiresAt <= Date.now()) {
      this.locks.delete(resourceId);
      return undefined;
    }
    return lock;
  }
}
