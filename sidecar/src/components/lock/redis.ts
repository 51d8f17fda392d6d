import type { Redis, Result } from 'ioredis';
import type { LockStore, UnlockStatus } from './lock-store.js';

// Release only by the owner, atomically: 0 released, 1 no such lock, 2 someone else's.
const unlockScript = `
local owner = redis.call('GET', KEYS[1])
if not owner then return 1 end
if owner ~= ARGV[1] then return 2 end
redis.call('DEL', KEYS[1])
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    isolaUnlock(key: string, owner: string): Result<number, Context>;
  }
}

/** Dapr's key for a lock, under which its owner is stored. */
function lockKey(resourceId: string): string {
  return `lock||${resourceId}`;
}

/** `lock.redis`: SET NX EX to take a lock, a script to release it, one round trip each. */
export class RedisLockStore implements LockStore {
  constructor(private readonly redis: Redis) {
    if (typeof (redis as Partial<Redis>).isolaUnlock !== 'function') redis.defineCommand('isolaUnlock', { numberOfKeys: 1, lua: unlockScript });
  }

  async tryLock(resourceId: string, owner: string, expirySeconds: number): Promise<boolean> {
    return (await this.redis.set(lockKey(resourceId), owner, 'EX', expirySeconds, 'NX')) === 'OK';
  }

  async unlock(resourceId: string, owner: string): Promise<UnlockStatus> {
    return (await this.redis.isolaUnlock(lockKey(resourceId), owner)) as UnlockStatus;
  }

  async close(): Promise<void> {
    // The connection is shared and closed by its owner.
  }
}
