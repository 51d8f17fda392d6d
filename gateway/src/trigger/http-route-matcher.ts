import { isReservedPath, normalizedUrlPath, type HttpMethod, type RouteClaim } from '@isola/core';

/** What a request path found: the route, and whether it takes the request's method. */
export type RouteMatch =
  | { route: RouteClaim; allowed: true }
  /** The path is the route's but not the method: 405 with `allow`. */
  | { route: RouteClaim; allowed: false; allow: string[] };

/**
 * The `routes:` of every function, for the HTTP trigger (docs/functions.md, "Routes"):
 * - `/a/b/*` matches `/a/b`, `/a/b/` and every path under it; `/*` matches every path;
 * - any other pattern matches exactly that path (a trailing slash counts: `/a` is not `/a/`);
 * - an exact pattern beats every wildcard; among wildcards the longest prefix wins;
 * - the winner alone decides the method: outside its `methods` the answer is 405 (HEAD goes with GET);
 * - paths the gateway serves itself (the API, `/fn`, the console, health, metrics) match nothing.
 * Paths are compared as a URL parser reads them (percent-encoding kept, dot segments resolved),
 * which is also the path the function sees. A lookup is one map probe per path segment.
 */
export class HttpRouteMatcher {
  private readonly exact = new Map<string, RouteClaim>();
  /** By prefix, without the trailing `/*` (`/*` itself: the empty prefix). */
  private readonly prefixes = new Map<string, RouteClaim>();

  constructor(routes: Iterable<RouteClaim>) {
    for (const route of routes) {
      if (route.path.endsWith('/*')) this.prefixes.set(route.path.slice(0, -2), route);
      else this.exact.set(route.path, route);
    }
  }

  get size(): number {
    return this.exact.size + this.prefixes.size;
  }

  /** The route serving `method` on `target` (a request target: path and query, or an absolute URL); null for none. */
  match(method: string, target: string): RouteMatch | null {
    const path = requestPath(target);
    if (path === null || isReservedPath(path)) return null;
    const route = this.exact.get(path) ?? this.longestPrefix(path);
    if (route === undefined) return null;
    if (route.methods === undefined) return { route, allowed: true };
    const allow = allowedMethods(route.methods);
    return allow.includes(method) ? { route, allowed: true } : { route, allowed: false, allow };
  }

  private longestPrefix(path: string): RouteClaim | undefined {
    const whole = this.prefixes.get(path);
    if (whole !== undefined) return whole;
    // `/a/b/c` is under `/a/b`, `/a` and `` (the prefix of `/*`): each cut at a slash, longest first.
    for (let slash = path.lastIndexOf('/'); slash >= 0; slash = slash === 0 ? -1 : path.lastIndexOf('/', slash - 1)) {
      const route = this.prefixes.get(path.slice(0, slash));
      if (route !== undefined) return route;
    }
    return undefined;
  }
}

/** A route's methods as the Allow header lists them: HEAD goes with GET. */
function allowedMethods(methods: readonly HttpMethod[]): string[] {
  const allow = new Set<string>(methods);
  if (allow.has('GET')) allow.add('HEAD');
  return [...allow];
}

/** The path of a request target, normalized as the function's `new URL(request.url)` would be; null when it has none. */
function requestPath(target: string): string | null {
  try {
    if (target.startsWith('/')) {
      const query = target.indexOf('?');
      return normalizedUrlPath(query === -1 ? target : target.slice(0, query));
    }
    return new URL(target).pathname;
  } catch {
    return null;
  }
}
