import type { Redis, Result } from 'ioredis';
import { EtagMismatch, type StateItem, type StateStore, type StateWrite, type WriteCondition } from './state-store.js';

// Every write of a request in one script, so a transaction is all or nothing: first every
// condition is checked (nothing written if one fails: returns its 1-based index), then every
// write is applied. A key holding something other than a state hash is refused before any write
// (returns minus its index), since a script that fails half-way keeps what it did.
// Values are stored like Dapr's state.redis: a hash with `data` and `version` (the ETag).
// ARGV per write: op (u|d), condition ('' none, 'absent', or the ETag), data, ttl seconds (0: none).
const writeScript = `
local n = #KEYS
for i = 1, n do
  local t = redis.call('TYPE', KEYS[i]).ok
  if t ~= 'hash' and t ~= 'none' then return -i end
  local cond = ARGV[(i - 1) * 4 + 2]
  if cond ~= '' then
    local version = redis.call('HGET', KEYS[i], 'version')
    if cond == 'absent' then
      if version then return i end
    elseif version ~= cond then
      return i
    end
  end
end
for i = 1, n do
  local base = (i - 1) * 4
  if ARGV[base + 1] == 'd' then
    redis.call('DEL', KEYS[i])
  else
    redis.call('HSET', KEYS[i], 'data', ARGV[base + 3])
    redis.call('HINCRBY', KEYS[i], 'version', 1)
    local ttl = tonumber(ARGV[base + 4])
    if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
  end
end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    isolaStateWrite(numberOfKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
  }
}

/**
 * `state.redis`: one hash per key (`data`, `version`), as Dapr's state.redis stores them, so a
 * store written by Dapr reads here and back. A get is one HMGET; every write request one script.
 */
export class RedisStateStore implements StateStore {
  constructor(private readonly redis: Redis) {
    if (typeof (redis as Partial<Redis>).isolaStateWrite !== 'function') redis.defineCommand('isolaStateWrite', { lua: writeScript });
  }

  async get(key: string): Promise<StateItem | null> {
    return itemOf(await this.redis.hmget(key, 'data', 'version'));
  }

  async getBulk(keys: readonly string[]): Promise<(StateItem | null)[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hmget(key, 'data', 'version');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, fields]) => {
      if (error !== null) throw error;
      return itemOf(fields as (string | null)[]);
    });
  }

  async write(writes: readonly StateWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const args: string[] = writes.map((write) => write.key);
    for (const write of writes) {
      const ttl = write.kind === 'upsert' && write.ttlSeconds !== undefined && write.ttlSeconds > 0 ? write.ttlSeconds : 0;
      args.push(write.kind === 'upsert' ? 'u' : 'd', conditionArg(write.condition), write.kind === 'upsert' ? write.value : '', String(ttl));
    }
    const result = await this.redis.isolaStateWrite(writes.length, ...args);
    if (result === 0) return;
    const failed = writes[Math.abs(result) - 1] as StateWrite;
    if (result < 0) throw new Error(`the key "${failed.key}" holds a value that is not a state entry (a Redis hash with data and version); nothing was written`);
    throw new EtagMismatch(failed.key, failed.condition);
  }

  async close(): Promise<void> {
    // The connection is shared and closed by its owner.
  }
}

function itemOf(fields: (string | null)[]): StateItem | null {
  const [value, version] = fields;
  return value === null || value === undefined ? null : { value, etag: version ?? '0' };
}

function conditionArg(condition: WriteCondition): string {
  if (condition === null) return '';
  return condition === 'absent' ? 'absent' : condition.etag;
}
