import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import type { HttpMethod, Manifest } from '../manifest/schema.js';
import { redisKeys } from './keys.js';

/** One served route: its pattern as written in `routes:`, the function it runs and the methods it takes (absent: any). */
export interface RouteClaim {
  path: string;
  function: string;
  methods?: HttpMethod[];
}

/**
 * The routes a function serves while `latest` serves these versions: every route any of them
 * declares (a canary keeps the paths of both sides of the split), with the union of the
 * methods each declares for it; a version that leaves `methods` out opens the route to all.
 */
export function servedRoutes(manifests: readonly Manifest[]): Map<string, HttpMethod[] | null> {
  const routes = new Map<string, HttpMethod[] | null>();
  for (const manifest of manifests) {
    for (const route of manifest.routes) {
      const before = routes.get(route.path);
      if (before === null || route.methods === undefined) routes.set(route.path, null);
      else routes.set(route.path, [...new Set([...(before ?? []), ...route.methods])]);
    }
  }
  return routes;
}

// Claims in one or more hashes (topics: KEYS[1]..., routes...), checked and written in one step,
// so two concurrent deploys cannot both take one: every wanted field (ARGV[k + 1], a JSON
// object field → claim) must be free or the function's own in every hash, else nothing changes
// and the conflicts come back as a flat list {hash index, field, owner, ...}. Then the
// function's other claims in each hash are released. A claim is JSON with a `function` member.
const claimScript = `
local name = ARGV[1]
local conflicts = {}
for k = 1, #KEYS do
  for field, _ in pairs(cjson.decode(ARGV[k + 1])) do
    local current = redis.call('HGET', KEYS[k], field)
    if current then
      local owner = cjson.decode(current)['function']
      if owner ~= name then
        table.insert(conflicts, tostring(k))
        table.insert(conflicts, field)
        table.insert(conflicts, owner)
      end
    end
  end
end
if #conflicts > 0 then return conflicts end
for k = 1, #KEYS do
  local wanted = cjson.decode(ARGV[k + 1])
  local all = redis.call('HGETALL', KEYS[k])
  for i = 1, #all, 2 do
    if wanted[all[i]] == nil and cjson.decode(all[i + 1])['function'] == name then redis.call('HDEL', KEYS[k], all[i]) end
  end
  for field, claim in pairs(wanted) do redis.call('HSET', KEYS[k], field, claim) end
end
return conflicts
`;

/** Releases every claim the function (ARGV[1]) holds in the hash KEYS[1] (routes or topics); usable inside a MULTI. */
export const releaseClaimsScript = `
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1])['function'] == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) end
end
return 0
`;

/** One hash of claims to make a function's: its key, the claims by field, and how to word a conflict. */
export interface ClaimSet {
  key: string;
  wanted: Record<string, string>;
  conflict(field: string, owner: string): string;
}

/**
 * Makes exactly `wanted` the claims `name` holds in each hash, atomically across them: claims the
 * new ones, keeps its own, releases the rest. A field another function holds is a CONFLICT
 * naming it (every conflict, in every hash), and then nothing changes anywhere.
 */
export async function claimAll(redis: Redis, name: string, sets: readonly ClaimSet[]): Promise<void> {
  const keys = sets.map((set) => set.key);
  const conflicts = (await redis.eval(claimScript, keys.length, ...keys, name, ...sets.map((set) => JSON.stringify(set.wanted)))) as string[];
  if (conflicts.length === 0) return;
  const found: { field: string; owner: string; message: string }[] = [];
  for (let index = 0; index + 2 < conflicts.length; index += 3) {
    const set = sets[Number(conflicts[index]) - 1] as ClaimSet;
    const field = conflicts[index + 1] as string;
    const owner = conflicts[index + 2] as string;
    found.push({ field, owner, message: set.conflict(field, owner) });
  }
  throw new IsolaError('CONFLICT', found.map((entry) => entry.message).join('; '), { conflicts: found.map(({ field, owner }) => ({ path: field, function: owner })) });
}

/** The route claims of `routes` for `name`, as a claim set. */
export function routeClaimSet(name: string, routes: Map<string, HttpMethod[] | null>): ClaimSet {
  const wanted: Record<string, string> = {};
  for (const [path, methods] of routes) wanted[path] = JSON.stringify({ path, function: name, ...(methods === null ? {} : { methods }) } satisfies RouteClaim);
  return {
    key: redisKeys.httpRoutes,
    wanted,
    conflict: (path, owner) =>
      `route ${path} is already served by function "${owner}"; a route pattern belongs to one function. Remove it from that function's routes: (or delete that function), or use another path`,
  };
}

/**
 * Makes `routes` the routes `name` holds: claims the new ones, keeps its own, releases the rest.
 * One function per pattern (as with topics): a pattern another function holds is a CONFLICT
 * naming it, and then nothing changes. Different patterns may overlap (the most specific wins).
 */
export async function claimRoutes(redis: Redis, name: string, routes: Map<string, HttpMethod[] | null>): Promise<void> {
  await claimAll(redis, name, [routeClaimSet(name, routes)]);
}

/** Every served route, in no particular order. */
export async function readRouteClaims(redis: Redis): Promise<RouteClaim[]> {
  return Object.values(await redis.hgetall(redisKeys.httpRoutes)).map((json) => JSON.parse(json) as RouteClaim);
}
