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

// Checks and writes in one step, so two concurrent deploys cannot both take a pattern: every
// wanted pattern must be free or the function's own, else nothing changes and the conflicts
// come back as a flat list {path, owner, ...}. Then the function's other claims are released.
const claimScript = `
local name = ARGV[1]
local wanted = cjson.decode(ARGV[2])
local conflicts = {}
for path, _ in pairs(wanted) do
  local current = redis.call('HGET', KEYS[1], path)
  if current then
    local owner = cjson.decode(current)['function']
    if owner ~= name then
      table.insert(conflicts, path)
      table.insert(conflicts, owner)
    end
  end
end
if #conflicts > 0 then return conflicts end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if wanted[all[i]] == nil and cjson.decode(all[i + 1])['function'] == name then redis.call('HDEL', KEYS[1], all[i]) end
end
for path, claim in pairs(wanted) do redis.call('HSET', KEYS[1], path, claim) end
return conflicts
`;

/** Releases every route the function (ARGV[1]) holds; usable inside a MULTI. */
export const releaseRoutesScript = `
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1])['function'] == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) end
end
return 0
`;

/**
 * Makes `routes` the routes `name` holds: claims the new ones, keeps its own, releases the rest.
 * One function per pattern (as with topics): a pattern another function holds is a CONFLICT
 * naming it, and then nothing changes. Different patterns may overlap (the most specific wins).
 */
export async function claimRoutes(redis: Redis, name: string, routes: Map<string, HttpMethod[] | null>): Promise<void> {
  const wanted: Record<string, string> = {};
  for (const [path, methods] of routes) wanted[path] = JSON.stringify({ path, function: name, ...(methods === null ? {} : { methods }) } satisfies RouteClaim);
  const conflicts = (await redis.eval(claimScript, 1, redisKeys.httpRoutes, name, JSON.stringify(wanted))) as string[];
  if (conflicts.length === 0) return;
  const taken: string[] = [];
  for (let index = 0; index + 1 < conflicts.length; index += 2) taken.push(`route ${conflicts[index] as string} is already served by function "${conflicts[index + 1] as string}"`);
  throw new IsolaError(
    'CONFLICT',
    `${taken.join('; ')}; a route pattern belongs to one function. Remove it from that function's routes: (or delete that function), or use another path`,
    { conflicts: taken.map((_message, index) => ({ path: conflicts[index * 2], function: conflicts[index * 2 + 1] })) },
  );
}

/** Every served route, in no particular order. */
export async function readRouteClaims(redis: Redis): Promise<RouteClaim[]> {
  return Object.values(await redis.hgetall(redisKeys.httpRoutes)).map((json) => JSON.parse(json) as RouteClaim);
}
